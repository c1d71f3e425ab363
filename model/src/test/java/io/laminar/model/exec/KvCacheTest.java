package io.laminar.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.laminar.kernels.VectorOps;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KvCacheTest {
    private static final int KV_DIM = 40; // not a multiple of the vector width: the conversions' tails run too

    @ParameterizedTest
    @EnumSource(KvPrecision.class)
    void positionsReadBackExactlyAsWritten(KvPrecision precision) {
        KvCache kv = new KvCache(2, KV_DIM, 16, 6, 2, 48, precision);
        assertTrue(kv.reserve(0, 40));
        assertTrue(kv.reserve(1, 20));
        SplittableRandom random = new SplittableRandom(3);
        float[][][] written = new float[2][64][];
        for (int slot = 0; slot < 2; slot++) {
            for (int pos = 0; pos < kv.capacity(slot); pos++) {
                float[] k = new float[KV_DIM + 5];
                float[] v = new float[KV_DIM + 5];
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) random.nextGaussian() * 40;
                    v[i] = (float) random.nextGaussian() / 40;
                }
                if (precision == KvPrecision.F16) { // StageRunner rounds before it stores
                    VectorOps.roundToHalf(k, 0, k.length);
                    VectorOps.roundToHalf(v, 0, v.length);
                }
                kv.write(1, kv.offset(slot, pos), k, 5, v, 3);
                written[slot][pos] = concat(k, 5, v, 3);
            }
        }
        for (int slot = 0; slot < 2; slot++) {
            for (int pos = 0; pos < kv.capacity(slot); pos++) {
                float[] k = new float[KV_DIM + 2];
                float[] v = new float[KV_DIM + 2];
                kv.readKeys(1, kv.offset(slot, pos), k, 2, KV_DIM);
                kv.readValues(1, kv.offset(slot, pos), v, 2, KV_DIM);
                assertArrayEquals(written[slot][pos], concat(k, 2, v, 2), "slot " + slot + " position " + pos);
            }
        }
        // part of a row, as attention over a range of heads reads it
        float[] part = new float[KV_DIM];
        kv.readKeys(1, kv.offset(0, 7) + 8, part, 8, 16);
        for (int i = 8; i < 24; i++) {
            assertEquals(written[0][7][i], part[i]);
        }
    }

    @ParameterizedTest
    @EnumSource(KvPrecision.class)
    void aBlockCostsTheBytesOfItsPrecision(KvPrecision precision) {
        KvCache kv = new KvCache(12, 768, 16, 4, 1, 64, precision);
        assertEquals(2L * 12 * 16 * 768 * precision.bytes(), kv.bytesPerBlock());
        assertEquals(precision.bytes(), StageBackend.named(StageBackend.CPU).kvBytesPerValue(precision));
    }

    private static float[] concat(float[] k, int kOff, float[] v, int vOff) {
        float[] out = new float[2 * KV_DIM];
        System.arraycopy(k, kOff, out, 0, KV_DIM);
        System.arraycopy(v, vOff, out, KV_DIM, KV_DIM);
        return out;
    }
}
