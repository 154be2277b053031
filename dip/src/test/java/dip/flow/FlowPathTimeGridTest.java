package dip.flow;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** FlowPath.timeGrid against the official torch.linspace grid, bit for bit (scripts/reference/time_grid_torch.py). */
class FlowPathTimeGridTest {

    @Test
    void smallGridsAreTheObviousOnes() {
        assertArrayEquals(new float[]{0f, 1f}, FlowPath.timeGrid(1));
        assertArrayEquals(new float[]{0f, 0.5f, 1f}, FlowPath.timeGrid(2));
        assertArrayEquals(new float[]{0f, 0.25f, 0.5f, 0.75f, 1f}, FlowPath.timeGrid(4));
    }

    @Test
    void gridsForOneTo200StepsMatchTorchBitForBit() {
        // CRC32 of the float32 little-endian grids, steps 1..200, printed by scripts/reference/time_grid_torch.py.
        var crc = new CRC32();
        for (int steps = 1; steps <= 200; steps++) {
            float[] ts = FlowPath.timeGrid(steps);
            var buf = ByteBuffer.allocate(4 * ts.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float t : ts) buf.putFloat(t);
            crc.update(buf.array());
        }
        assertEquals(0x4234ea77L, crc.getValue(), "CRC32 of time grids 1..200 vs torch.linspace");
    }

    @Test
    void valuesWhereTheTextbookFormulaIsOneUlpOff() {
        // torch: linspace(0, 1 - 1/13, 13)[7] = 0.5384615 (end - step*5, fused), not 0.53846157 (end*7/12).
        assertEquals(0.5384615f, FlowPath.timeGrid(13)[7]);
        assertEquals(0.59999996f, FlowPath.timeGrid(15)[9]);
        assertEquals(0.49999997f, FlowPath.timeGrid(18)[9]);
        float[] ts = FlowPath.timeGrid(100);
        assertEquals(0.11f, ts[11]);   // exactly float32(0.11): not guided on (0.11, 0.97)
        assertEquals(0.97f, ts[97]);
        assertEquals(1f, ts[100]);
    }

    @Test
    void nonPositiveStepsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> FlowPath.timeGrid(0));
        assertThrows(IllegalArgumentException.class, () -> FlowPath.timeGrid(-3));
    }
}
