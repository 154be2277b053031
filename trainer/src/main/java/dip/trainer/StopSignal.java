package dip.trainer;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Ctrl-C (SIGINT) and SIGTERM during training: the first one asks the loop to stop at the next step boundary, where
 * it saves a checkpoint and returns normally; a second one exits at once (status 130) without saving.
 * Uses sun.misc.Signal (jdk.unsupported, present on every HotSpot JDK); where a signal cannot be caught the
 * default behaviour stays. Closing restores the previous handlers.
 */
public final class StopSignal implements AutoCloseable {
    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    public StopSignal(Runnable requestStop, PrintStream err) {
        SignalHandler h = new SignalHandler() {
            private volatile boolean asked;
            @Override public void handle(Signal sig) {
                if (asked) {
                    err.println("\nsecond SIG" + sig.getName() + ": exiting without a checkpoint");
                    Runtime.getRuntime().halt(130);
                }
                asked = true;
                err.println("\nSIG" + sig.getName() + ": stopping after this step and saving a checkpoint "
                        + "(press Ctrl-C again to quit at once)");
                requestStop.run();
            }
        };
        for (String name : List.of("INT", "TERM")) {
            try {
                Signal s = new Signal(name);
                previous.add(Signal.handle(s, h));
                signals.add(s);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // the JVM reserves this signal here (e.g. with -Xrs): keep its default behaviour
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) Signal.handle(signals.get(i), previous.get(i));
    }
}
