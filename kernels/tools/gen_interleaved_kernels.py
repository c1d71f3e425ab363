#!/usr/bin/env python3
"""Generates the token-tile methods of GemmQ8_0 and GemmQ4_0: x16t1, x16t2, ... (256-bit vectors),
x16t1w128, ... (128-bit vectors) and x32t1, ... (512-bit vectors over groups of 32 rows).

The kernels are written out in full because C2 does not unroll them well by itself, and kept to
one loop step of 1-4 column pairs (q8) or 2-4 byte columns (q4) at 256 and 128 bits, 1-8 at 512,
because bigger bodies exceed C2's inlining budget or spill accumulators (see the GemmQ8_0 class
comment and q8_sep). Paste the output between
the class's generated-code markers, whose first line names the arguments (GeneratedTilesTest
checks that the two agree):

    python3 kernels/tools/gen_interleaved_kernels.py q8 1:4,2:2,3:1,4:1 1:2f,2:2,3:1,4:1 1:8,2:2,3:1,4:1  # GemmQ8_0
    python3 kernels/tools/gen_interleaved_kernels.py q4 1:4,2:4,4:2 1:2f,2:4,4:2 1:8,2:4,4:4  # GemmQ4_0

The first list is for 256 bits, the second for 128, the third for 512 bits over groups of 32 rows
(x32t1, ...). Each spec is TOKENS:COLUMNS_PER_STEP (column pairs for q8, byte columns for q4).

At 128 bits a vector holds 8 of the group's 16 rows (the low or high 8 bytes of each 16-byte
column). A spec ending in f does both halves in each step, so that each activation broadcast
serves 16 rows as at 256 bits; the others make two passes over the group, rows 0-7 then 8-15,
with the 256-bit kernel's registers per pass (both halves at once would need twice as many).
Either way every row's integer sums and float steps are the 256-bit kernel's, so every width
gives the same bits.
"""
import sys


def store(ind, t, bits=256):
    lines = []
    h = "h + " if bits == 128 else ""
    for j in range(bits // 32):
        lines.append(f"{ind}y[y{t} + {h}{2*j}] = accE{t}.lane({j});")
        lines.append(f"{ind}y[y{t} + {h}{2*j+1}] = accO{t}.lane({j});")
    return "\n".join(lines)


class Width:
    """Species and offsets of one vector width, over groups of 16 rows (BlockQ8_0x16, BlockQ4_0x16)
    or, at 512 bits, of 32 (BlockQ8_0x32, BlockQ4_0x32), where one vector holds a column of all 32
    rows. At 128 bits the body runs once per pass h (rows h..h+7): their quants are bytes h..h+7 of
    each 16-byte column, their even and odd rows' scales slots h/2..h/2+3 and 8+h/2..8+h/2+3, h bytes
    into each half of the scales."""

    def __init__(self, bits, kind):
        self.bits = bits
        self.rows = 32 if bits == 512 else 16
        self.block = f"Block{'Q8_0' if kind == 'q8' else 'Q4_0'}x{self.rows}"
        self.name = f"x{self.rows}t"
        self.suffix = "w128" if bits == 128 else ""
        self.at = "" if bits == 256 else f" at {bits} bits"
        self.F, self.I, self.S = f"F{bits}", f"I{bits}", f"S{bits}"
        self.B = f"B{bits // 2}"  # the bytes that widen into one short vector
        self.h = " + h" if bits == 128 else ""

    def scales(self):
        return (SCALES.replace("S128, w, so,", f"S{self.bits // 2}, w, so{self.h},")
                .replace("S128, w, so + 16,", f"S{self.bits // 2}, w, so + {self.rows}{self.h},").replace("I256", self.I))


def with_passes(w, head, body):
    """head runs once; at 128 bits body runs once per 8-row pass."""
    if w.bits != 128:
        return head + body
    return head + ["        for (int h = 0; h < 16; h += 8) {"] + [("    " + line) if line else line for line in body] + ["        }"]


SCALES = '''                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();'''


def q8_sep(T, P=4, bits=256):
    """At 512 bits (groups of 32 rows) AVX-512's 32 registers hold the accumulators of up to 4
    tokens with room to spare, and longer steps than at 256 bits pay: on a Zen 5 core one token with
    8 column pairs per step decoded 1.19x faster than with 4 (A/B, stories110M Q8_0), while 16 (a
    whole block per step) exceeds C2's inlining budget; 4 tokens with 2 pairs per step ran at 0.9x
    of 1."""
    w = Width(bits, "q8")
    ts = range(T)
    per = 16 // P
    params = ", ".join([f"int tb{t}" for t in ts] + ["float[] d"] + [f"int d{t}" for t in ts] + ["float[] y"] + [f"int y{t}" for t in ts])
    out = [f"    /** {T} token(s) x {w.rows} rows{w.at}: group at {{@code go}}, {P} column pair{'s' if P > 1 else ''} per step. */",
           f"    private static void {w.name}{T}{w.suffix}(MemorySegment w, long go, int nb, int[] tb, {params}) {{"]
    head = [f"        ShortVector evenBias = IntVector.broadcast({w.I}, 0x8000).reinterpretAsShorts();"]
    body = []
    for t in ts:
        body += [f"        FloatVector accE{t} = FloatVector.zero({w.F});", f"        FloatVector accO{t} = FloatVector.zero({w.F});",
                 f"        IntVector iX{t} = IntVector.zero({w.I});", f"        IntVector iO{t} = IntVector.zero({w.I});"]
    body += [f"        long q0 = go + (long) {w.block}.SCALES_SIZE * nb;",
             f"        for (int i = 0; i < {per} * nb; i++) {{",
             f"            long q = q0 + {2*w.rows*P}L * i{w.h};",
             f"            int a = {2*P} * i;"]
    for p in range(P):
        body.append(f"            ShortVector w{2*p} = (ShortVector) ByteVector.fromMemorySegment({w.B}, w, q + {2*w.rows*p}, LE).convertShape(B2S, {w.S}, 0);")
        body.append(f"            ShortVector w{2*p+1} = (ShortVector) ByteVector.fromMemorySegment({w.B}, w, q + {2*w.rows*p+w.rows}, LE).convertShape(B2S, {w.S}, 0);")
        for t in ts:
            if T == 1 and bits != 512:  # the locals below changed nothing for one token at 256 bits: kept as it was
                body.append(f"            IntVector x{t}{p} = w{2*p}.mul(IntVector.broadcast({w.I}, tb[tb{t} + a + {2*p}]).reinterpretAsShorts())"
                            f".add(w{2*p+1}.mul(IntVector.broadcast({w.I}, tb[tb{t} + a + {2*p+1}]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();")
            else:
                # Activations read into locals first, odd column first: C2 then folds every load into
                # a vpbroadcastd (inline, half went through a general register: mov, vmovd, vpbroadcastd).
                body.append(f"            int c{t}{p}1 = tb[tb{t} + a + {2*p+1}];")
                body.append(f"            int c{t}{p}0 = tb[tb{t} + a + {2*p}];")
                body.append(f"            IntVector x{t}{p} = w{2*p}.mul(IntVector.broadcast({w.I}, c{t}{p}0).reinterpretAsShorts())"
                            f".add(w{2*p+1}.mul(IntVector.broadcast({w.I}, c{t}{p}1).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();")
            body.append(f"            iX{t} = iX{t}.add(x{t}{p});")
            body.append(f"            iO{t} = iO{t}.add(x{t}{p}.lanewise(ASHR, 16));")
    body += [f"            if ((i & {per-1}) == {per-1}) {{",
             f"                int b = i / {per};",
             f"                long so = go + (long) {w.block}.SCALES_SIZE * b;"]
    body += w.scales().split("\n")
    for t in ts:
        body += [f"                float da{t} = d[d{t} + b];",
                 f"                IntVector iE{t} = iX{t}.sub(iO{t}.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);",
                 f"                accE{t} = ((FloatVector) iE{t}.convert(I2F, 0)).fma(sE.mul(da{t}), accE{t});",
                 f"                accO{t} = ((FloatVector) iO{t}.convert(I2F, 0)).fma(sO.mul(da{t}), accO{t});",
                 f"                iX{t} = IntVector.zero({w.I});",
                 f"                iO{t} = IntVector.zero({w.I});"]
    body += ["            }", "        }"]
    for t in ts:
        body += store("        ", t, bits).split("\n")
    out += with_passes(w, head, body)
    out.append("    }")
    return "\n".join(out)


def q4_sep(T, J=4, bits=256):
    """At 512 bits, on a Zen 5 core, 8 byte columns per step for one token decoded 1.10x faster than
    4, and 4 for four tokens ran 1.05x faster than 2 (A/B)."""
    w = Width(bits, "q4")
    ts = range(T)
    per = 16 // J
    params = ", ".join([f"int tb{t}" for t in ts] + ["float[] d", "short[] bias"] + [f"int d{t}" for t in ts] + ["float[] y"] + [f"int y{t}" for t in ts])
    out = [f"    /** {T} token(s) x {w.rows} rows{w.at}: group at {{@code go}}, {J} byte columns per step. */",
           f"    private static void {w.name}{T}{w.suffix}(MemorySegment w, long go, int nb, int[] tb, {params}) {{"]
    body = []
    for t in ts:
        body += [f"        FloatVector accE{t} = FloatVector.zero({w.F});", f"        FloatVector accO{t} = FloatVector.zero({w.F});",
                 f"        ShortVector acc{t} = ShortVector.broadcast({w.S}, bias[d{t}]);"]
    body += [f"        long q0 = go + (long) {w.block}.SCALES_SIZE * nb;",
             f"        for (int i = 0; i < {per} * nb; i++) {{",
             f"            long q = q0 + {w.rows*J}L * i{w.h};",
             f"            int a = {J} * (i % {per}) + 32 * (i / {per});"]
    for j in range(J):
        body.append(f"            ShortVector s{j} = (ShortVector) ByteVector.fromMemorySegment({w.B}, w, q + {w.rows*j}, LE).convertShape(B2S, {w.S}, 0);")
        body.append(f"            ShortVector h{j} = s{j}.lanewise(ASHR, 4);")
        for t in ts:
            body.append(f"            acc{t} = acc{t}.add(s{j}.mul(IntVector.broadcast({w.I}, tb[tb{t} + a + {j}]).reinterpretAsShorts()).add(h{j}.mul(IntVector.broadcast({w.I}, tb[tb{t} + a + {16 + j}]).reinterpretAsShorts())));")
    body += [f"            if ((i & {per-1}) == {per-1}) {{",
             f"                int b = i / {per};",
             f"                long so = go + (long) {w.block}.SCALES_SIZE * b;"]
    body += w.scales().split("\n")
    for t in ts:
        body += [f"                IntVector x{t} = acc{t}.reinterpretAsInts();",
                 f"                float da{t} = d[d{t} + b];",
                 f"                accE{t} = ((FloatVector) x{t}.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da{t}), accE{t});",
                 f"                accO{t} = ((FloatVector) x{t}.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da{t}), accO{t});",
                 f"                acc{t} = ShortVector.broadcast({w.S}, bias[d{t} + Math.min(b + 1, nb - 1)]);"]
    body += ["            }", "        }"]
    for t in ts:
        body += store("        ", t, bits).split("\n")
    out += with_passes(w, [], body)
    out.append("    }")
    return "\n".join(out)


def q8_fused(T, P=2):
    """128 bits, both 8-row halves in one step, each activation broadcast serving both: for one
    token 1.5x the two-pass form (same JVM, alternated); for more tokens, whose accumulators then
    no longer fit the registers, no faster."""
    ts = range(T)
    per = 16 // P
    halves = ("l", "h")
    params = ", ".join([f"int tb{t}" for t in ts] + ["float[] d"] + [f"int d{t}" for t in ts] + ["float[] y"] + [f"int y{t}" for t in ts])
    out = [f"    /** {T} token(s) x 16 rows at 128 bits, both halves per step: group at {{@code go}}, {P} column pair{'s' if P > 1 else ''} per step. */",
           f"    private static void x16t{T}w128(MemorySegment w, long go, int nb, int[] tb, {params}) {{",
           "        ShortVector evenBias = IntVector.broadcast(I128, 0x8000).reinterpretAsShorts();"]
    for t in ts:
        for hv in halves:
            out += [f"        FloatVector accE{t}{hv} = FloatVector.zero(F128);", f"        FloatVector accO{t}{hv} = FloatVector.zero(F128);",
                    f"        IntVector iX{t}{hv} = IntVector.zero(I128);", f"        IntVector iO{t}{hv} = IntVector.zero(I128);"]
    out += ["        long q0 = go + (long) BlockQ8_0x16.SCALES_SIZE * nb;",
            f"        for (int i = 0; i < {per} * nb; i++) {{",
            f"            long q = q0 + {32*P}L * i;",
            f"            int a = {2*P} * i;"]
    for p in range(P):
        for t in ts:
            out.append(f"            ShortVector c{t}{p}0 = IntVector.broadcast(I128, tb[tb{t} + a + {2*p}]).reinterpretAsShorts();")
            out.append(f"            ShortVector c{t}{p}1 = IntVector.broadcast(I128, tb[tb{t} + a + {2*p+1}]).reinterpretAsShorts();")
        for k, hv in enumerate(halves):
            out.append(f"            ShortVector w{2*p}{hv} = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + {32*p + 8*k}, LE).convertShape(B2S, S128, 0);")
            out.append(f"            ShortVector w{2*p+1}{hv} = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + {32*p+16 + 8*k}, LE).convertShape(B2S, S128, 0);")
            for t in ts:
                out.append(f"            IntVector x{t}{p}{hv} = w{2*p}{hv}.mul(c{t}{p}0).add(w{2*p+1}{hv}.mul(c{t}{p}1)).add(evenBias).reinterpretAsInts();")
                out.append(f"            iX{t}{hv} = iX{t}{hv}.add(x{t}{p}{hv});")
                out.append(f"            iO{t}{hv} = iO{t}{hv}.add(x{t}{p}{hv}.lanewise(ASHR, 16));")
    out += [f"            if ((i & {per-1}) == {per-1}) {{",
            f"                int b = i / {per};",
            "                long so = go + (long) BlockQ8_0x16.SCALES_SIZE * b;"]
    for k, hv in enumerate(halves):
        sc = SCALES.replace("S128, w, so,", f"S64, w, so + {8*k},").replace("S128, w, so + 16,", f"S64, w, so + {16 + 8*k},").replace("I256", "I128")
        sc = sc.replace("hE", f"hE{hv}").replace("hO", f"hO{hv}").replace("sE", f"sE{hv}").replace("sO", f"sO{hv}")
        out += sc.split("\n")
    for t in ts:
        out.append(f"                float da{t} = d[d{t} + b];")
        for hv in halves:
            out += [f"                IntVector iE{t}{hv} = iX{t}{hv}.sub(iO{t}{hv}.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);",
                    f"                accE{t}{hv} = ((FloatVector) iE{t}{hv}.convert(I2F, 0)).fma(sE{hv}.mul(da{t}), accE{t}{hv});",
                    f"                accO{t}{hv} = ((FloatVector) iO{t}{hv}.convert(I2F, 0)).fma(sO{hv}.mul(da{t}), accO{t}{hv});",
                    f"                iX{t}{hv} = IntVector.zero(I128);",
                    f"                iO{t}{hv} = IntVector.zero(I128);"]
    out += ["            }", "        }"]
    for t in ts:
        for k, hv in enumerate(halves):
            for j in range(4):
                out.append(f"        y[y{t} + {8*k + 2*j}] = accE{t}{hv}.lane({j});")
                out.append(f"        y[y{t} + {8*k + 2*j + 1}] = accO{t}{hv}.lane({j});")
    out.append("    }")
    return "\n".join(out)


def q4_fused(T, J=4):
    """As q8_fused, for Q4_0."""
    ts = range(T)
    per = 16 // J
    halves = ("l", "h")
    params = ", ".join([f"int tb{t}" for t in ts] + ["float[] d", "short[] bias"] + [f"int d{t}" for t in ts] + ["float[] y"] + [f"int y{t}" for t in ts])
    out = [f"    /** {T} token(s) x 16 rows at 128 bits, both halves per step: group at {{@code go}}, {J} byte columns per step. */",
           f"    private static void x16t{T}w128(MemorySegment w, long go, int nb, int[] tb, {params}) {{"]
    for t in ts:
        for hv in halves:
            out += [f"        FloatVector accE{t}{hv} = FloatVector.zero(F128);", f"        FloatVector accO{t}{hv} = FloatVector.zero(F128);",
                    f"        ShortVector acc{t}{hv} = ShortVector.broadcast(S128, bias[d{t}]);"]
    out += ["        long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;",
            f"        for (int i = 0; i < {per} * nb; i++) {{",
            f"            long q = q0 + {16*J}L * i;",
            f"            int a = {J} * (i % {per}) + 32 * (i / {per});"]
    for j in range(J):
        for t in ts:
            out.append(f"            ShortVector c{t}{j}0 = IntVector.broadcast(I128, tb[tb{t} + a + {j}]).reinterpretAsShorts();")
            out.append(f"            ShortVector c{t}{j}1 = IntVector.broadcast(I128, tb[tb{t} + a + {16 + j}]).reinterpretAsShorts();")
        for k, hv in enumerate(halves):
            out.append(f"            ShortVector s{j}{hv} = (ShortVector) ByteVector.fromMemorySegment(B64, w, q + {16*j + 8*k}, LE).convertShape(B2S, S128, 0);")
            out.append(f"            ShortVector h{j}{hv} = s{j}{hv}.lanewise(ASHR, 4);")
            for t in ts:
                out.append(f"            acc{t}{hv} = acc{t}{hv}.add(s{j}{hv}.mul(c{t}{j}0).add(h{j}{hv}.mul(c{t}{j}1)));")
    out += [f"            if ((i & {per-1}) == {per-1}) {{",
            f"                int b = i / {per};",
            "                long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;"]
    for k, hv in enumerate(halves):
        sc = SCALES.replace("S128, w, so,", f"S64, w, so + {8*k},").replace("S128, w, so + 16,", f"S64, w, so + {16 + 8*k},").replace("I256", "I128")
        sc = sc.replace("hE", f"hE{hv}").replace("hO", f"hO{hv}").replace("sE", f"sE{hv}").replace("sO", f"sO{hv}")
        out += sc.split("\n")
    for t in ts:
        out.append(f"                float da{t} = d[d{t} + b];")
        for hv in halves:
            out += [f"                IntVector x{t}{hv} = acc{t}{hv}.reinterpretAsInts();",
                    f"                accE{t}{hv} = ((FloatVector) x{t}{hv}.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE{hv}.mul(da{t}), accE{t}{hv});",
                    f"                accO{t}{hv} = ((FloatVector) x{t}{hv}.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO{hv}.mul(da{t}), accO{t}{hv});"]
        out.append(f"                short next{t} = bias[d{t} + Math.min(b + 1, nb - 1)];")
        for hv in halves:
            out.append(f"                acc{t}{hv} = ShortVector.broadcast(S128, next{t});")
    out += ["            }", "        }"]
    for t in ts:
        for k, hv in enumerate(halves):
            for j in range(4):
                out.append(f"        y[y{t} + {8*k + 2*j}] = accE{t}{hv}.lane({j});")
                out.append(f"        y[y{t} + {8*k + 2*j + 1}] = accO{t}{hv}.lane({j});")
    out.append("    }")
    return "\n".join(out)


def main():
    which = sys.argv[1]
    gen = q8_sep if which == "q8" else q4_sep
    fused = q8_fused if which == "q8" else q4_fused
    methods = []
    for bits, arg in zip((256, 128, 512), sys.argv[2:]):
        for spec in arg.split(","):
            t, c = spec.split(":")
            if c.endswith("f"):  # 128 bits, both halves per step
                methods.append(fused(int(t), int(c[:-1])))
            else:
                methods.append(gen(int(t), int(c), bits))
    print("\n\n".join(methods))

if __name__ == "__main__":
    main()
