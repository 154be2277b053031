package dip.cli;

import dip.tornado.exec.JavaEngine;

/** Describes the Vector API's preferred species without touching it when the incubator module is absent. */
final class VectorInfo {
    private VectorInfo() {
    }

    static String describe() {
        if (!JavaEngine.vectorApiPresent()) return "absent (launch with --add-modules jdk.incubator.vector)";
        return Present.describe();
    }

    /** Loaded only when the module is there, so its references to jdk.incubator.vector resolve. */
    private static final class Present {
        static String describe() {
            var s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
            return s + ", " + s.length() + " float lanes (" + s.vectorBitSize() + " bits)";
        }
    }
}
