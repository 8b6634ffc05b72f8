"""The operator registry: one record per operation, one calling convention, canonical parameters."""

import inspect
import subprocess
import sys

import pytest

import spikefp
from spikefp.generators.registry import CONVERSION, OPERATIONS, DotProduct, Param, catalog, operation
from spikefp.verify import check, fastref, mpfr_ref, reference

RECORDS = [*OPERATIONS.values(), CONVERSION]


@pytest.mark.parametrize("op", RECORDS, ids=lambda op: op.name)
def test_one_generator_convention(op):
    """gen(b, fmt, modes, *operand_bits, **params): the operands, then the record's parameters
    with the record's defaults (conversions: the target, keyword only)."""
    sig = inspect.signature(op.generator)
    names = list(sig.parameters)
    assert names[:3] == ["b", ("src" if op is CONVERSION else "f"), "m"]
    positional = [p for p in names[3:] if sig.parameters[p].default is inspect.Parameter.empty
                  and sig.parameters[p].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    if isinstance(op, DotProduct):          # operands a0.. b0.. c: as many as its parameter n says
        assert positional == [] and sig.parameters[names[3]].kind is inspect.Parameter.VAR_POSITIONAL
    else:
        assert len(positional) == op.arity
    if op is CONVERSION:
        assert sig.parameters["target"].kind is inspect.Parameter.KEYWORD_ONLY
    else:
        for p in op.params:
            assert sig.parameters[p.name].default == p.default, (op.name, p.name)


@pytest.mark.parametrize("module", [reference, mpfr_ref])
def test_every_operation_has_a_reference_in_both_modules(module):
    ops = check.operations(module)            # the elementary functions' references join both
    refs = {op.reference for op in RECORDS}
    assert set(module.OPS) <= refs <= set(ops)
    for op in RECORDS:
        sig = inspect.signature(ops[op.reference])
        if isinstance(op, DotProduct):      # fn(fmt, *operands, rm) with rm the last positional
            assert sig.parameters["rm"].kind is inspect.Parameter.KEYWORD_ONLY
        else:
            assert list(sig.parameters)[1 + op.arity] == "rm", op.name
    assert set(fastref.OPS) <= set(module.OPS)


def test_reference_fn_is_the_registry_lookup():
    u = spikefp.unit("fp8e4m3.add", saturate=True)
    fn = check.reference_fn(u, module=mpfr_ref)
    assert fn(0x7E, 0x7E, "rne") == mpfr_ref.add(u.fmt, 0x7E, 0x7E, "rne", saturate=True) == (0x7E, 0x05)
    u = spikefp.unit("fp16.lt")
    assert check.reference_fn(u)(0xBC00, 0x3C00, "rne") == reference.lt(u.fmt, 0xBC00, 0x3C00) == (1, 0)


@pytest.mark.parametrize("value", [True, 1, "true", "True", "1"])
def test_parameters_are_canonical(value):
    u = spikefp.unit("fp8e4m3.mul", saturate=value)
    assert u.params == {"saturate": True}
    assert u.module_name == "fp8e4m3_mul_rne_saturate"
    assert u == spikefp.unit("fp8e4m3.mul", saturate=True)
    assert spikefp.unit("fp16.add", saturate="false", align="auto").module_name == "fp16_add_rne"
    assert spikefp.unit("fp16.add", saturate=0).params == {}


@pytest.mark.parametrize("params, message", [
    ({"saturate": "yes"}, "fp16.add: saturate='yes' is not one of false, true"),
    ({"saturate": 2}, "fp16.add: saturate=2 is not one of false, true"),
    ({"align": "fast"}, "fp16.add: align='fast' is not one of auto, barrel, decoded"),
    ({"align": 1}, "fp16.add: align=1 is not one of auto, barrel, decoded"),
    ({"counter": "serial"}, "fp16.add: unknown parameter 'counter' (parameters: saturate, align)"),
])
def test_bad_parameters_name_the_choices(params, message):
    with pytest.raises(ValueError) as e:
        spikefp.unit("fp16.add", **params)
    assert str(e.value) == message


def test_conversion_rules():
    assert operation("to_i32") is CONVERSION
    assert spikefp.unit("fp32.to_fp16", saturate="true").module_name == "fp32_to_fp16_rne_saturate"
    with pytest.raises(ValueError, match=r"fp32.to_i32: unknown parameter 'saturate' \(parameters: none\)"):
        spikefp.unit("fp32.to_i32", saturate=True)
    assert not spikefp.unit("fp16.to_fp32").rounds and spikefp.unit("i32.to_fp32").rounds
    assert spikefp.unit("i32.to_fp64").result_bits == 64 and spikefp.unit("fp64.to_i32").result_bits == 32


def test_param_checks_its_own_declaration():
    with pytest.raises(TypeError):
        Param("n", (2, 4, "8"), 4)
    assert Param("n", (2, 4, 8), 4).coerce("8") == 8


def test_catalog_agrees_with_the_records():
    c = catalog()
    assert [o["name"] for o in c["operations"]] == [*OPERATIONS, "to_<format>"]
    assert [o["arity"] for o in c["operations"]] == ["2n+1" if isinstance(op, DotProduct) else op.arity
                                                    for op in RECORDS]


def test_references_load_without_the_circuit_builder():
    code = ("import sys, spikefp.verify.reference, spikefp.verify.mpfr_ref; "
            "print(sorted(m for m in sys.modules if m.startswith('spikefp.hdl') or m.endswith('.units')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
