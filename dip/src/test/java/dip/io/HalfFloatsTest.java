package dip.io;

import dip.util.Rng;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HalfFloatsTest {

    @Test void f16KnownValues() {
        assertEquals(1f, HalfFloats.f16ToFloat((short) 0x3C00));
        assertEquals(-2f, HalfFloats.f16ToFloat((short) 0xC000));
        assertEquals(65504f, HalfFloats.f16ToFloat((short) 0x7BFF));            // largest finite
        assertEquals(0x1.0p-24f, HalfFloats.f16ToFloat((short) 0x0001));        // smallest subnormal
        assertEquals(0x1.0p-14f, HalfFloats.f16ToFloat((short) 0x0400));        // smallest normal
        assertEquals(0.333251953125f, HalfFloats.f16ToFloat((short) 0x3555));   // nearest F16 to 1/3
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.f16ToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7E00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(HalfFloats.f16ToFloat((short) 0x8000)));

        assertEquals((short) 0x3C00, HalfFloats.floatToF16(1f));
        assertEquals((short) 0x3555, HalfFloats.floatToF16(1f / 3));
        assertEquals((short) 0x7BFF, HalfFloats.floatToF16(65504f));
        assertEquals((short) 0x7BFF, HalfFloats.floatToF16(65519f));             // below the midpoint to 65536
        assertEquals((short) 0x7C00, HalfFloats.floatToF16(65520f));             // the midpoint ties to even: inf
        assertEquals((short) 0x0001, HalfFloats.floatToF16(0x1.0p-24f));
        assertEquals((short) 0x0000, HalfFloats.floatToF16(0x1.0p-25f));         // tie to even: 0
        assertEquals((short) 0x0001, HalfFloats.floatToF16(0x1.8p-25f));
        assertEquals((short) 0x3C00, HalfFloats.floatToF16(1f + 0x1.0p-11f));    // tie between 1 and 1+2^-10: even
        assertEquals((short) 0x3C02, HalfFloats.floatToF16(1f + 3 * 0x1.0p-11f)); // tie: to the even 0x3C02
        assertEquals((short) 0xFC00, HalfFloats.floatToF16(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat(HalfFloats.floatToF16(Float.NaN))));
    }

    @Test void bf16KnownValues() {
        assertEquals(1f, HalfFloats.bf16ToFloat((short) 0x3F80));
        assertEquals(-2f, HalfFloats.bf16ToFloat((short) 0xC000));
        assertEquals(3.140625f, HalfFloats.bf16ToFloat((short) 0x4049));
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.bf16ToFloat((short) 0x7F80));
        assertEquals(Float.intBitsToFloat(0x00010000), HalfFloats.bf16ToFloat((short) 0x0001));

        assertEquals((short) 0x4049, HalfFloats.floatToBf16((float) Math.PI));    // 3.14159 -> 3.140625
        assertEquals((short) 0x3F80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808000)));  // tie: stays even
        assertEquals((short) 0x3F82, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F818000)));  // tie: up to even
        assertEquals((short) 0x3F81, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808001)));  // above the tie
        assertEquals((short) 0x7F80, HalfFloats.floatToBf16(Float.MAX_VALUE));   // rounds up to inf
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F800001)))),
                "a NaN whose payload sits in the dropped bits stays NaN");
    }

    @Test void everyF16RoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            if (Float.isNaN(f)) continue;
            assertEquals((short) h, HalfFloats.floatToF16(f), "f16 0x" + Integer.toHexString(h));
        }
    }

    /** JDK 20+ has Float.float16ToFloat / floatToFloat16; the sources compile on 17, so reach them by reflection. */
    @Test void matchesTheJdkWhereItHasF16() throws Throwable {
        MethodHandle toFloat, toHalf;
        try {
            var l = MethodHandles.publicLookup();
            toFloat = l.findStatic(Float.class, "float16ToFloat", MethodType.methodType(float.class, short.class));
            toHalf = l.findStatic(Float.class, "floatToFloat16", MethodType.methodType(short.class, float.class));
        } catch (NoSuchMethodException e) {
            toFloat = null; toHalf = null;
        }
        assumeTrue(toFloat != null, "JDK < 20: no Float.float16ToFloat");
        for (int h = 0; h < 0x10000; h++) {
            float want = (float) toFloat.invokeExact((short) h);
            float got = HalfFloats.f16ToFloat((short) h);
            if (Float.isNaN(want)) assertTrue(Float.isNaN(got));
            else assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), "f16 0x" + Integer.toHexString(h));
        }
        var rng = new Rng(7);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat((int) rng.nextLong());
            if (i % 2 == 0) f = (float) (rng.nextGaussian() * Math.pow(2, rng.nextInt(40) - 26));   // the F16 range
            if (Float.isNaN(f)) continue;
            short want = (short) toHalf.invokeExact(f);
            assertEquals(want, HalfFloats.floatToF16(f), "float " + f + " bits 0x" + Integer.toHexString(Float.floatToRawIntBits(f)));
        }
    }
}
