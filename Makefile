# spikefp — set-up, demo and tests.  `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP   := $(PY) -m pip
# Debian tools the project drives (Verilog simulation, synthesis, place-and-route, iCE40
# bitstreams (icepack), the C compiler of the exact engine's native back-end, ccache).
APT_TOOLS    := iverilog yosys nextpnr-ice40 icepack gcc ccache
APT_PACKAGES := iverilog yosys nextpnr-ice40 fpga-icestorm gcc ccache
STAMP_APT := $(VENV)/.apt-stamp
STAMP_PIP := $(VENV)/.pip-stamp
# A local wheel directory (if the machine has one) lets pip find torch without a download.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)

.PHONY: install demo test regress regress-fpu exhaustive exhaustive-fp32 exhaustive-fp32-sqrt exhaustive16 bench clean

install: $(STAMP_APT) $(STAMP_PIP)

$(VENV)/bin/python:
	python3 -m venv $(VENV)

$(STAMP_APT): | $(VENV)/bin/python
	@missing=""; for t in $(APT_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	  else echo "error: need root or passwordless sudo to install: $(APT_PACKAGES)" >&2; \
	       echo "       install them yourself (apt-get install $(APT_PACKAGES)) and re-run make" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null || exit 1; \
	fi
	@touch $@

$(STAMP_PIP): pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q $(FIND_LINKS) -e '.[all]'
	@touch $@

demo: install
	$(VENV)/bin/spikefp demo

test: install
	$(PY) -m pytest -q -n auto

# The RTL regression: every operation and format, static RNE and dynamic, combinational and
# pipelined, on Icarus and Verilator (summary table + build/regress.xml).
regress: install
	$(VENV)/bin/spikefp regress

# The same on Icarus and Verilator for division, square root, comparisons, min/max, classify
# and every conversion (10,000 vectors per unit, or every operand where there are <= 2^16).
regress-fpu: install
	$(VENV)/bin/spikefp regress --ops div sqrt eq lt le min max classify --conversions \
		--pipeline 0 --vectors 10000 --junit build/regress-fpu.xml

# The floating-point acceptance campaigns through the exact engine: every format, operation,
# conversion and mode; the elementary functions on every 8- and 16-bit input in every mode,
# fp32 on 10^6 inputs per mode, fp64 on 10^5, and their RTL on Icarus and Verilator.
exhaustive: install
	$(PY) -m pytest -q -s -n auto -m slow tests/test_fp_campaign.py tests/test_fpu_campaign.py \
	  tests/test_torch_engine.py tests/test_dynamics.py tests/test_elementary_ref.py \
	  tests/test_elementary_fast.py tests/test_fpexp.py tests/test_fplog.py tests/test_fprsqrt.py \
	  tests/test_fpsigmoid.py tests/test_fpgelu.py tests/test_elementary_rtl.py tests/test_dot.py \
	  tests/test_train_digits.py tests/test_hostref.py tests/test_fastref_divsqrt.py tests/test_fastref_convert.py

# Every input of fp32.exp and fp32.log2 (2^32 each, static RNE) against the reference; a
# summary per function in build/exhaustive/. An interrupted run resumes where it stopped.
exhaustive-fp32: install
	$(PY) benchmarks/exhaustive_fp32.py exp
	$(PY) benchmarks/exhaustive_fp32.py log2

# Every operand pair of fp16 and bf16 add, sub, mul and div in all five modes (2^32 each: 1.7e11
# vectors), plus sqrt and every 16-bit conversion on every input, on a Dask LocalCluster of
# WORKERS processes; the measured throughput and projected time print first. Hours on 2 cores;
# an interrupted run resumes from build/exhaustive16 (rerun the same command).
WORKERS ?= $(shell nproc)
CONV16 := $(foreach s,fp16 bf16,$(foreach d,fp8e4m3 fp8e5m2 fp16 bf16 fp32 fp64 i32 u32 i64 u64,$(if $(filter $s,$d),,$s.to_$d)))
exhaustive16: install
	mkdir -p build/exhaustive16 && set -o pipefail && $(VENV)/bin/spikefp campaign fp16.add fp16.sub fp16.mul fp16.div bf16.add bf16.sub bf16.mul bf16.div \
	  fp16.sqrt bf16.sqrt $(CONV16) --exhaustive --modes all --engine dask --workers $(WORKERS) \
	  --project --resume build/exhaustive16 --json | tee build/exhaustive16/summary.json
	$(PY) benchmarks/campaign_certificate.py build/exhaustive16 --out build/exhaustive16/certificate.md \
	  --title "Every 16-bit operand: fp16 and bf16, exhaustive"

# Every fp32 square root input (2^32, RNE) the same way: minutes on 2 cores; resumable from
# build/exhaustive-fp32-sqrt.
exhaustive-fp32-sqrt: install
	mkdir -p build/exhaustive-fp32-sqrt && set -o pipefail && $(VENV)/bin/spikefp campaign fp32.sqrt --exhaustive \
	  --modes rne --engine dask --workers $(WORKERS) --project --resume build/exhaustive-fp32-sqrt --json \
	  | tee build/exhaustive-fp32-sqrt/summary.json
	$(PY) benchmarks/campaign_certificate.py build/exhaustive-fp32-sqrt --out build/exhaustive-fp32-sqrt/certificate.md \
	  --title "fp32.sqrt, every input, RNE"

bench: install
	$(PY) benchmarks/pysim_throughput.py
	$(PY) benchmarks/fp_units.py
	$(PY) benchmarks/divsqrt_alternatives.py
	$(PY) benchmarks/functions.py
	$(PY) benchmarks/rtl_throughput.py
	$(PY) benchmarks/engines.py
	$(PY) benchmarks/references.py
	$(PY) benchmarks/robustness.py
	$(PY) benchmarks/fpga_units.py
	$(PY) benchmarks/neuro_map.py
	$(PY) benchmarks/norms_accuracy.py
	$(PY) benchmarks/transformer_block.py
	$(PY) examples/train_digits.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
