package dip.cluster.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Where CUDA's natives cannot load (no GPU, or no natives on the class path: CI), NCCL must say so in one line and
 * name the way out. Where they load, a one-rank communicator on GPU 0 must sum like the identity, in buckets. Two
 * or more ranks need a GPU each: that check is by hand (docs/scale-out.md).
 */
class NcclCollectiveTest {

    @Test
    void oneRankSumsLikeTheIdentityOrSaysWhyNot() {
        String id;
        try {
            id = NcclCollective.newId();
        } catch (IllegalStateException e) {
            System.out.println("no NCCL here: " + e.getMessage());
            assertTrue(e.getMessage().startsWith("NCCL is not usable here"), e.getMessage());
            assertTrue(e.getMessage().contains("--collective xgboost"), e.getMessage());
            return;
        }
        assertEquals(256, id.length(), "128 bytes as hex");
        try (NcclCollective c = NcclCollective.join(id, 0, 1, 0, 3)) {
            float[] x = {1.5f, -0f, 3e-38f, Float.MAX_VALUE, -2f, 7f, 0.1f};
            float[] want = x.clone();
            c.allReduceSum(x);                                   // three buckets of 3, 3 and 1 floats
            assertArrayEquals(want, x);
            c.barrier();
        }
    }

    @Test
    void refusesAnIdOfTheWrongLength() {
        assertThrows(IllegalArgumentException.class, () -> NcclCollective.join("00", 0, 1, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> NcclCollective.join("00", 1, 1, 0, 8));
    }
}
