package dip.tornado.exec;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;

/**
 * Picks and builds an {@link Engine} from a CLI word: {@code java}, {@code tornado} or {@code auto}.
 * The TornadoVM engine lives in a source folder that only a Maven profile compiles (when TORNADOVM_HOME is set),
 * so it is loaded by name here; this class never imports TornadoVM.
 */
public final class Engines {
    private Engines() {
    }

    /** The engine kinds the CLI offers. */
    public enum Kind { AUTO, JAVA, TORNADO }

    /** The TornadoVM engine's class name; present only in a build made with TORNADOVM_HOME set. */
    public static final String TORNADO_ENGINE = "dip.tornado.exec.tornadovm.TornadoEngine";

    /**
     * How to get a TornadoVM engine, for error messages. The argfile already adds jdk.incubator.vector; the -D after
     * it overrides the argfile's tornado.load.annotation.parallel (TornadoVM's own annotation) so that TornadoVM reads
     * the kernels' dip.tornado.Parallel (docs/tornadovm.md §5).
     */
    public static final String TORNADO_HINT = "to run on TornadoVM, build with TORNADOVM_HOME set"
            + " (TORNADOVM_HOME=/path/to/tornadovm-sdk mvn -B -ntp package -DskipTests), then launch with:"
            + " java @$TORNADOVM_HOME/tornado-argfile -Dtornado.load.annotation.parallel=dip.tornado.Parallel"
            + " -cp trainer/target/dip.jar dip.cli.DipCommand <command> --engine tornado"
            + " (see docs/tornadovm.md)";

    /** {@code kind} is auto|java|tornado (any case). Throws IllegalArgumentException for another word. */
    public static Engine create(String kind, int threads) {
        return create(parse(kind), threads);
    }

    public static Kind parse(String kind) {
        try {
            return Kind.valueOf(kind.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown engine '" + kind + "': expected auto, java or tornado");
        }
    }

    /**
     * JAVA: a {@link JavaEngine} with {@code threads} threads. TORNADO: the TornadoVM engine, or an
     * IllegalStateException saying how to launch with TornadoVM. AUTO: TornadoVM when this JVM was launched for
     * it (the engine class is on the classpath and {@code tornado.load.annotation.parallel} is set, by the argfile
     * or by the launch line) and it starts (which needs that property to be {@code dip.tornado.Parallel});
     * otherwise the Java engine.
     */
    public static Engine create(Kind kind, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        switch (kind) {
            case JAVA:
                return new JavaEngine(threads);
            case TORNADO:
                return tornado();
            default:
                if (tornadoLaunched()) {
                    try {
                        return tornado();
                    } catch (IllegalStateException e) {
                        return new JavaEngine(threads);
                    }
                }
                return new JavaEngine(threads);
        }
    }

    /** True when the TornadoVM engine class is in this build and the JVM has the TornadoVM launch property. */
    public static boolean tornadoLaunched() {
        return tornadoClass() != null && System.getProperty("tornado.load.annotation.parallel") != null;
    }

    private static Class<?> tornadoClass() {
        try {
            return Class.forName(TORNADO_ENGINE, false, Engines.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /**
     * Builds the TornadoVM engine by reflection (its no-arg constructor). Calls made outside a pass run on its own
     * JavaEngine (all processors), so --threads does not reach it.
     */
    private static Engine tornado() {
        Class<?> c = tornadoClass();
        if (c == null) {
            throw new IllegalStateException("the TornadoVM engine is not in this build (" + TORNADO_ENGINE
                    + " missing: it was built without TORNADOVM_HOME); " + TORNADO_HINT);
        }
        try {
            return (Engine) c.getConstructor().newInstance();
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException ise) throw ise;
            throw new IllegalStateException("TornadoVM engine failed to start: " + cause + "; " + TORNADO_HINT, cause);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("TornadoVM runtime not usable (" + e + "); " + TORNADO_HINT, e);
        }
    }
}
