"""The board wrapper end to end: the whole design (UART, request register, unit, answer) on
Icarus through cocotb, the serial line driven and read bit by bit with the host driver's
encoding, against the IEEE reference and the exact engine.

The pytest functions build and run the simulation; `board_bench` is the cocotb test they run
(inside the simulator, this file imported as the cocotb test module).
"""

import json
import os
import sys
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, with_timeout

from spikefp.fpga.host import Frame

DIVISOR = 4              # clock cycles per bit: the smallest the receiver takes, for a fast simulation
TIMEOUT_BYTES = 2        # the board drops a half request after 2 byte times (the bench tests it)


# --- the cocotb test (runs inside Icarus) --------------------------------------------------

@cocotb.test()
async def board_bench(dut):
    cfg = json.loads(os.environ["SPIKEFP_BOARD"])
    frame, d = Frame(cfg["inputs"], cfg["outputs"]), cfg["divisor"]
    data = np.load(cfg["vectors"])
    ports = list(frame.inputs)
    cols = {k: data[k].tolist() for k in ports}
    n = len(cols[ports[0]])

    async def send(payload: bytes):
        for byte in payload:
            for bit in [0] + [(byte >> i) & 1 for i in range(8)] + [1]:
                dut.rx.value = bit
                await ClockCycles(dut.clk, d)

    async def receive(count: int) -> bytes:
        out = b""
        for _ in range(count):
            await with_timeout(FallingEdge(dut.tx), 200 * d * 10, "ns")      # the start bit
            await ClockCycles(dut.clk, d // 2)
            assert int(dut.tx.value) == 0, "start bit shorter than half a bit"
            byte = 0
            for i in range(9):
                await ClockCycles(dut.clk, d)
                if i < 8:
                    byte |= int(dut.tx.value) << i
            assert int(dut.tx.value) == 1, "missing stop bit"
            out += bytes([byte])
        return out

    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rx.value = 1
    await ClockCycles(dut.clk, 8)
    # A lost byte: half a request, then silence; the board must drop it and answer the next
    # request alone (a stale byte would shift every operand of the first vector).
    await send(bytes([0xA5]))
    await ClockCycles(dut.clk, (cfg["timeout_bytes"] + 1) * 10 * d)
    got_y, got_f = [], []
    for i in range(n):
        answer = cocotb.start_soon(receive(frame.response_bytes))
        await send(frame.encode({k: cols[k][i] for k in ports}))
        out = frame.decode(await answer)
        got_y.append(out["y"])
        got_f.append(out["flags"])
    assert int(dut.tx.value) == 1
    np.savez(cfg["results"], y=np.array(got_y, np.uint64), flags=np.array(got_f, np.uint64))


# --- pytest: build the design, run the bench, compare --------------------------------------

def _vectors(u, dynamic_rm: bool):
    from spikefp.verify import vectors
    spec = vectors.specials(u.fmt, len(u.operands))
    pick = np.arange(0, len(spec["a"]), 7)               # 37 special pairs: zeros, subnormals, inf, NaNs
    edge = vectors.boundary(u.fmt, u.op, 12, seed=1)
    ops = {k: np.concatenate([spec[k][pick], edge[k]]) for k in u.operands}
    n = len(ops["a"])
    rm = np.arange(n, dtype=np.uint64) % 8 if dynamic_rm else None   # codes 5-7: invalid, NaN + NV
    return ops, rm


# The LUT style is what `spikefp board` puts in the bitstream; fp32.mul takes the netlist style
# (proved equivalent to it by the back-ends' tests), whose Verilog is written 20 s sooner.
CASES = [("fp16.add", False, 0, "lut"), ("fp32.mul", False, 0, "netlist"), ("fp16.add", True, 2, "lut")]


@pytest.mark.parametrize("name,dynamic,pipeline,backend", CASES, ids=["fp16.add", "fp32.mul", "fp16.add-dynamic-p2"])
def test_unit_over_uart(name, dynamic, pipeline, backend, tmp_path):
    import spikefp
    from spikefp import pysim
    from spikefp.fpga.board import design
    from spikefp.verify import check
    from spikefp.verify.tools import get_tool

    u = spikefp.unit(name, dynamic=dynamic)
    ops, rm = _vectors(u, dynamic)
    inputs = dict(ops, rm=rm) if dynamic else ops
    ey, ef = check.expected(u, ops, rm)
    eng = pysim.compile(u.netlist).run(**inputs)
    assert ey.tolist() == eng["y"].tolist() and ef.tolist() == eng["flags"].tolist()

    d = design(u, DIVISOR, pipeline, backend, timeout_bytes=TIMEOUT_BYTES)
    for fname, text in d.files.items():
        (tmp_path / fname).write_text(text)
    np.savez(tmp_path / "vectors.npz", **inputs)
    frame = Frame.of(u.netlist)
    cfg = {"inputs": frame.inputs, "outputs": frame.outputs, "divisor": DIVISOR, "timeout_bytes": TIMEOUT_BYTES,
           "vectors": str(tmp_path / "vectors.npz"), "results": str(tmp_path / "results.npz")}
    runner = get_tool("icarus").cocotb_runner()      # ToolMissing (a failure, not a skip) without Icarus
    runner.build(sources=[tmp_path / f for f in d.files], hdl_toplevel=d.top, build_dir=tmp_path / "build",
                 timescale=("1ns", "1ps"), log_file=tmp_path / "build.log")
    here = str(Path(__file__).parent)
    env = {"SPIKEFP_BOARD": json.dumps(cfg), "PYTHONPATH": os.pathsep.join([here] + [p for p in sys.path if p])}
    xml = tmp_path / "results.xml"
    try:
        runner.test(test_module="test_board", hdl_toplevel=d.top, build_dir=tmp_path / "build", test_dir=tmp_path,
                    extra_env=env, results_xml=str(xml), log_file=tmp_path / "sim.log")
    except SystemExit:
        pass                 # a failing bench: the results below and the XML say what failed
    assert "<failure" not in xml.read_text(), (tmp_path / "sim.log").read_text()[-3000:]
    got = np.load(tmp_path / "results.npz")
    bad = np.flatnonzero((got["y"] != ey) | (got["flags"] != ef))
    assert bad.size == 0, [(f"{' '.join(f'{inputs[k][i]:x}' for k in inputs)}: expected {ey[i]:x}/{ef[i]:02x}, "
                            f"board {got['y'][i]:x}/{got['flags'][i]:02x}") for i in bad[:5]]
    assert len(got["y"]) == len(ey) == 37 + 12


# --- the pieces: pins, top module, protocol, host driver -----------------------------------

def test_icebreaker_pins_and_design():
    import spikefp
    from spikefp.fpga.board import design
    from spikefp.fpga.boards import get_board

    b = get_board("icebreaker")
    assert (b.device, b.clock_hz) == ("ice40-up5k", 12_000_000)
    assert b.pcf() == "set_io clk 35\nset_io rx 6\nset_io tx 9\n"
    with pytest.raises(ValueError, match="^unknown board 'upduino'; choose from icebreaker$"):
        get_board("upduino")
    d = design(spikefp.unit("fp16.add", dynamic=True), 104, pipeline=2, backend="lut")
    assert (d.top, sorted(d.files), d.divisor) == \
        ("fp16_add_dyn_p2_board", ["fp16_add_dyn_p2.v", "fp16_add_dyn_p2_board.v"], 104)
    top = d.files["fp16_add_dyn_p2_board.v"]
    assert "module fp16_add_dyn_p2_board(rx, tx, clk);" in top
    # The unit's ports from the request register: a, b (2 bytes each), then rm in the last byte.
    assert ".a(request[39:24])" in top and ".b(request[23:8])" in top and ".rm(request[2:0])" in top
    assert "module fp16_add_dyn_p2(" in d.files["fp16_add_dyn_p2.v"]


def test_frame():
    import spikefp
    from spikefp.fpga.host import Frame

    f = Frame.of(spikefp.unit("fp16.add", dynamic=True).netlist)
    assert (f.request_bytes, f.response_bytes) == (5, 3)
    assert f.encode({"a": 0x3C00, "b": 0xBC00, "rm": 4}) == bytes([0x3C, 0x00, 0xBC, 0x00, 0x04])
    assert f.decode(bytes([0x7E, 0x00, 0x10])) == {"y": 0x7E00, "flags": 0x10}
    with pytest.raises(ValueError, match=r"^input rm=0x8 does not fit in 3 bits$"):
        f.encode({"a": 0, "b": 0, "rm": 8})
    with pytest.raises(ValueError, match="^no value for input port 'b'$"):
        f.encode({"a": 0})
    with pytest.raises(ValueError, match="^an answer is 3 bytes, got 2$"):
        f.decode(b"\0\0")


def _fake_board(fd, unit, requests: int):
    """The board's side of the serial line, with the exact engine computing: reads ``requests`` requests."""
    from spikefp import pysim
    from spikefp.fpga.host import Frame

    frame, sim = Frame.of(unit.netlist), pysim.compile(unit.netlist)
    for _ in range(requests):
        data = b""
        while len(data) < frame.request_bytes:
            data += os.read(fd, frame.request_bytes - len(data))
        values, at = {}, 0
        for name, width in frame.inputs.items():
            n = -(-width // 8)
            values[name] = np.array([int.from_bytes(data[at:at + n], "big")], np.uint64)
            at += n
        out = sim.run(**values)
        os.write(fd, b"".join(int(out[k][0]).to_bytes(-(-w // 8), "big") for k, w in frame.outputs.items()))


def test_host_driver_on_a_tty():
    """`open_serial` on a pseudo-terminal (standard library termios), `Board` and `spikefp eval`'s
    line reader and writer with the board as engine."""
    import io
    import threading

    import spikefp
    from spikefp.evaluate import evaluate_lines
    from spikefp.fpga.host import Board, BoardTimeout, open_serial

    u = spikefp.unit("fp16.add")
    board_end, host_end = os.openpty()
    t = threading.Thread(target=_fake_board, args=(board_end, u, 3), daemon=True)
    t.start()
    with open_serial(os.ttyname(host_end), 115_200, timeout=0.2) as port:
        board = Board(port, u, retries=0)
        assert board.evaluate(0x3C00, 0x4000) == (0x4200, 0)               # 1 + 2 = 3
        out = io.StringIO()
        evaluate_lines(u, io.StringIO("7C00 FC00\n0001 8000\n"), out, engine=board)
        assert out.getvalue() == "7C00 FC00 7E00 10\n0001 8000 0001 00\n"   # inf - inf: NaN, NV
        t.join(5)
        with pytest.raises(BoardTimeout, match="^no answer from the board for fp16.add"):
            board.evaluate(0, 0)                                           # nobody answers now
    os.close(host_end)
    os.close(board_end)
    with pytest.raises(ValueError, match="^9 baud is not a standard rate"):
        open_serial("/dev/null", 9)


# --- spikefp board ---------------------------------------------------------------------------

def test_board_command_writes_a_bitstream(tmp_path, capsys):
    from spikefp.cli import main

    out = tmp_path / "out"
    assert main(["board", "fp16.add", "--board", "icebreaker", "-o", str(out), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("fp16_add_rne.bin for icebreaker (ice40-up5k): ")
    assert lines[0].endswith("(clock 12 MHz); UART 115200 baud 8N1")
    names = ["fp16_add_rne_board.v", "fp16_add_rne.v", "fp16_add_rne.pcf", "fp16_add_rne.nextpnr.log", "fp16_add_rne.bin"]
    assert lines[1:] == [str(out / n) for n in names]
    assert sorted(os.listdir(out)) == sorted(names)
    assert (out / "fp16_add_rne.pcf").read_text() == "set_io clk 35\nset_io rx 6\nset_io tx 9\n"
    bitstream = (out / "fp16_add_rne.bin").read_bytes()
    # An UP5K configuration image: icepack's fixed size for the device, the iCE40 sync word near the start.
    assert len(bitstream) == 104_090 and b"\x7e\xaa\x99\x7e" in bitstream[:16]


def test_board_command_refuses_before_work(tmp_path, capsys):
    from spikefp.cli import main

    assert main(["board", "fp16.add", "-o", str(tmp_path / "o"), "--baud", "5000000"]) == 2
    assert capsys.readouterr().err == ("spikefp: error: 5000000 baud cannot be made from a 12 MHz clock (nearest: "
                                       "6000000 baud, at least 4 cycles per bit)\n")
    assert main(["board", "fp16.add", "-o", str(tmp_path / "o"), "--pipeline", "99"]) == 2
    assert "--pipeline 99 is more than fp16.add's depth" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow            # Yosys maps fp32.mul's 2,064 neurons to ~7,000 LUT4 in ~3.5 minutes
def test_board_command_unit_too_large(tmp_path, capsys):
    from spikefp.cli import main

    assert main(["board", "fp32.mul", "-o", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spikefp: error: fp32.mul does not fit the icebreaker's ice40-up5k: ")
    assert err.count("\n") == 1 and err.endswith("with the UART, 5,280 logic cells\n")
    assert not (tmp_path / "o").exists()


def test_eval_on_a_board_through_the_cli(monkeypatch, capsys):
    """`spikefp eval --engine board --port DEV`: the same lines as the exact engine, from a board."""
    import io
    import threading

    import spikefp
    from spikefp.cli import main

    board_end, host_end = os.openpty()
    t = threading.Thread(target=_fake_board, args=(board_end, spikefp.unit("fp16.add"), 2), daemon=True)
    t.start()
    lines = "3C00 4000\n7C00 FC00\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["eval", "fp16.add", "--engine", "board", "--port", os.ttyname(host_end)]) == 0
    got = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["eval", "fp16.add"]) == 0
    assert got == capsys.readouterr().out == "3C00 4000 4200 00\n7C00 FC00 7E00 10\n"
    t.join(5)
    os.close(host_end)
    os.close(board_end)
    assert main(["eval", "fp16.add", "--engine", "board"]) == 2                     # no --port
    assert main(["eval", "fp16.add", "--engine", "board", "--port", "/dev/null"]) == 2   # not a tty
    assert main(["eval", "fp16.add", "--port", "/dev/ttyUSB9"]) == 2                # --port without board
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(e.startswith("spikefp: error:") for e in err), err
