#!/usr/bin/env python3
"""Generates the token-tile methods (x16t1, x16t2, ...) of GemmQ8_0 and GemmQ4_0.

The kernels are written out in full because C2 does not unroll them well by itself, and kept to
one loop step of 1-4 column pairs (q8) or 2-4 byte columns (q4) because bigger bodies exceed C2's
inlining budget or spill accumulators (see the GemmQ8_0 class comment). Paste the output over the
generated methods at the end of the class:

    python3 kernels/tools/gen_interleaved_kernels.py q8 1:4,2:2,3:1,4:1   # GemmQ8_0
    python3 kernels/tools/gen_interleaved_kernels.py q4 1:4,2:4,4:2   # GemmQ4_0

Each spec is TOKENS:COLUMNS_PER_STEP (column pairs for q8, byte columns for q4).
"""
import sys


def store(ind, t):
    lines = []
    for j in range(8):
        lines.append(f"{ind}y[y{t} + {2*j}] = accE{t}.lane({j});")
        lines.append(f"{ind}y[y{t} + {2*j+1}] = accO{t}.lane({j});")
    return "\n".join(lines)


SCALES = '''                IntVector hE = (IntVector) ShortVector.fromMemorySegment(S128, w, so, LE).convertShape(S2I, I256, 0);
                FloatVector sE = hE.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hE.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();
                IntVector hO = (IntVector) ShortVector.fromMemorySegment(S128, w, so + 16, LE).convertShape(S2I, I256, 0);
                FloatVector sO = hO.and(0x7FFF).lanewise(LSHL, 13).reinterpretAsFloats().mul(TWO_POW_112)
                        .reinterpretAsInts().or(hO.and(0x8000).lanewise(LSHL, 16)).reinterpretAsFloats();'''


def q8_sep(T, P=4):
    ts = range(T)
    per = 16 // P
    params = ", ".join([f"int tb{t}" for t in ts] + ["float[] d"] + [f"int d{t}" for t in ts] + ["float[] y"] + [f"int y{t}" for t in ts])
    out = [f"    /** {T} token(s) x 16 rows: group at {{@code go}}, {P} column pair{'s' if P > 1 else ''} per step. */",
           f"    private static void x16t{T}(MemorySegment w, long go, int nb, int[] tb, {params}) {{"]
    out.append("        ShortVector evenBias = IntVector.broadcast(I256, 0x8000).reinterpretAsShorts();")
    for t in ts:
        out += [f"        FloatVector accE{t} = FloatVector.zero(F256);", f"        FloatVector accO{t} = FloatVector.zero(F256);",
                f"        IntVector iX{t} = IntVector.zero(I256);", f"        IntVector iO{t} = IntVector.zero(I256);"]
    out += ["        long q0 = go + (long) BlockQ8_0x16.SCALES_SIZE * nb;",
            f"        for (int i = 0; i < {per} * nb; i++) {{",
            f"            long q = q0 + {32*P}L * i;",
            f"            int a = {2*P} * i;"]
    for p in range(P):
        out.append(f"            ShortVector w{2*p} = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + {32*p}, LE).convertShape(B2S, S256, 0);")
        out.append(f"            ShortVector w{2*p+1} = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + {32*p+16}, LE).convertShape(B2S, S256, 0);")
        for t in ts:
            if T == 1:  # the locals below changed nothing for one token: kept as it was
                out.append(f"            IntVector x{t}{p} = w{2*p}.mul(IntVector.broadcast(I256, tb[tb{t} + a + {2*p}]).reinterpretAsShorts())"
                           f".add(w{2*p+1}.mul(IntVector.broadcast(I256, tb[tb{t} + a + {2*p+1}]).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();")
            else:
                # Activations read into locals first, odd column first: C2 then folds every load into
                # a vpbroadcastd (inline, half went through a general register: mov, vmovd, vpbroadcastd).
                out.append(f"            int c{t}{p}1 = tb[tb{t} + a + {2*p+1}];")
                out.append(f"            int c{t}{p}0 = tb[tb{t} + a + {2*p}];")
                out.append(f"            IntVector x{t}{p} = w{2*p}.mul(IntVector.broadcast(I256, c{t}{p}0).reinterpretAsShorts())"
                           f".add(w{2*p+1}.mul(IntVector.broadcast(I256, c{t}{p}1).reinterpretAsShorts())).add(evenBias).reinterpretAsInts();")
            out.append(f"            iX{t} = iX{t}.add(x{t}{p});")
            out.append(f"            iO{t} = iO{t}.add(x{t}{p}.lanewise(ASHR, 16));")
    out += [f"            if ((i & {per-1}) == {per-1}) {{",
            f"                int b = i / {per};",
            "                long so = go + (long) BlockQ8_0x16.SCALES_SIZE * b;",
            SCALES]
    for t in ts:
        out += [f"                float da{t} = d[d{t} + b];",
                f"                IntVector iE{t} = iX{t}.sub(iO{t}.lanewise(LSHL, 16)).sub(EVEN_BIAS_TOTAL);",
                f"                accE{t} = ((FloatVector) iE{t}.convert(I2F, 0)).fma(sE.mul(da{t}), accE{t});",
                f"                accO{t} = ((FloatVector) iO{t}.convert(I2F, 0)).fma(sO.mul(da{t}), accO{t});",
                f"                iX{t} = IntVector.zero(I256);",
                f"                iO{t} = IntVector.zero(I256);"]
    out += ["            }", "        }"]
    for t in ts:
        out.append(store("        ", t))
    out.append("    }")
    return "\n".join(out)


def q4_sep(T, J=4):
    ts = range(T)
    per = 16 // J
    params = ", ".join([f"int tb{t}" for t in ts] + ["float[] d", "short[] bias"] + [f"int d{t}" for t in ts] + ["float[] y"] + [f"int y{t}" for t in ts])
    out = [f"    /** {T} token(s) x 16 rows: group at {{@code go}}, {J} byte columns per step. */",
           f"    private static void x16t{T}(MemorySegment w, long go, int nb, int[] tb, {params}) {{"]
    for t in ts:
        out += [f"        FloatVector accE{t} = FloatVector.zero(F256);", f"        FloatVector accO{t} = FloatVector.zero(F256);",
                f"        ShortVector acc{t} = ShortVector.broadcast(S256, bias[d{t}]);"]
    out += ["        long q0 = go + (long) BlockQ4_0x16.SCALES_SIZE * nb;",
            f"        for (int i = 0; i < {per} * nb; i++) {{",
            f"            long q = q0 + {16*J}L * i;",
            f"            int a = {J} * (i % {per}) + 32 * (i / {per});"]
    for j in range(J):
        out.append(f"            ShortVector s{j} = (ShortVector) ByteVector.fromMemorySegment(B128, w, q + {16*j}, LE).convertShape(B2S, S256, 0);")
        out.append(f"            ShortVector h{j} = s{j}.lanewise(ASHR, 4);")
        for t in ts:
            out.append(f"            acc{t} = acc{t}.add(s{j}.mul(IntVector.broadcast(I256, tb[tb{t} + a + {j}]).reinterpretAsShorts()).add(h{j}.mul(IntVector.broadcast(I256, tb[tb{t} + a + {16 + j}]).reinterpretAsShorts())));")
    out += [f"            if ((i & {per-1}) == {per-1}) {{",
            f"                int b = i / {per};",
            "                long so = go + (long) BlockQ4_0x16.SCALES_SIZE * b;",
            SCALES]
    for t in ts:
        out += [f"                IntVector x{t} = acc{t}.reinterpretAsInts();",
                f"                float da{t} = d[d{t} + b];",
                f"                accE{t} = ((FloatVector) x{t}.lanewise(LSHL, 16).lanewise(ASHR, 16).convert(I2F, 0)).fma(sE.mul(da{t}), accE{t});",
                f"                accO{t} = ((FloatVector) x{t}.lanewise(ASHR, 16).convert(I2F, 0)).fma(sO.mul(da{t}), accO{t});",
                f"                acc{t} = ShortVector.broadcast(S256, bias[d{t} + Math.min(b + 1, nb - 1)]);"]
    out += ["            }", "        }"]
    for t in ts:
        out.append(store("        ", t))
    out.append("    }")
    return "\n".join(out)


def main():
    which = sys.argv[1]
    specs = [v.split(":") for v in sys.argv[2].split(",")]
    gen = q8_sep if which == "q8" else q4_sep
    print("\n\n".join(gen(int(t), int(c)) for t, c in specs))


if __name__ == "__main__":
    main()
