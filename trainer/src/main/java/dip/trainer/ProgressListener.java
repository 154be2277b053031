package dip.trainer;

import java.nio.file.Path;

/**
 * What TrainLoop reports: the CLI prints it (ConsoleProgress), MetricsLog writes it, tests capture it.
 * All methods are called on the training thread, between steps.
 */
public interface ProgressListener {

    /** One optimiser step just finished (the stats are of that step). */
    record StepStats(long step, long totalSteps, int epoch, int epochs, double loss, double lr, double gradNorm,
                     double imagesPerSec, double wallSeconds) {
    }

    /** Before the first step: where the run starts (non-zero on resume) and where it will end. */
    default void onStart(long step, long totalSteps, int epoch, int epochs) {
    }

    default void onStep(StepStats s) {
    }

    /** After epoch {@code epoch} (1-based: the number of epochs finished) and its checkpoint. */
    default void onEpochEnd(int epoch, TrainState state) {
    }

    default void onCheckpoint(long step, Path file) {
    }

    /** The loop is returning (finished, or stopped on request). Not called when it throws. */
    default void onFinish(long step, TrainLoop.Outcome outcome) {
    }

    /** Forwards every call to each listener in turn. */
    static ProgressListener all(ProgressListener... ls) {
        return new ProgressListener() {
            @Override public void onStart(long step, long total, int epoch, int epochs) {
                for (ProgressListener l : ls) l.onStart(step, total, epoch, epochs);
            }
            @Override public void onStep(StepStats s) { for (ProgressListener l : ls) l.onStep(s); }
            @Override public void onEpochEnd(int epoch, TrainState st) { for (ProgressListener l : ls) l.onEpochEnd(epoch, st); }
            @Override public void onCheckpoint(long step, Path f) { for (ProgressListener l : ls) l.onCheckpoint(step, f); }
            @Override public void onFinish(long step, TrainLoop.Outcome o) { for (ProgressListener l : ls) l.onFinish(step, o); }
        };
    }
}
