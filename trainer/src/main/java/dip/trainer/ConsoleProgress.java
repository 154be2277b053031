package dip.trainer;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * What the CLI shows while training. On a terminal: a live progress bar (me.tongfei:progressbar) with steps,
 * epoch, loss, images/s and ETA. Otherwise (a log file, CI, tests): one plain line every {@code logEvery} steps,
 * {@code step 120/4000 | epoch 1/10 | loss 0.4123 | 842.0 img/s | eta 00:54:10}, so logs stay readable.
 */
public final class ConsoleProgress implements ProgressListener, AutoCloseable {
    private final PrintStream out;
    private final boolean live;
    private final int logEvery;
    private final LongSupplier clock;
    private ProgressBar bar;
    private long startStep, firstStep;
    private long startNanos;

    public ConsoleProgress(PrintStream out, boolean live, int logEvery) {
        this(out, live, logEvery, System::nanoTime);
    }

    /** With the clock the ETA is measured on (tests give their own). */
    ConsoleProgress(PrintStream out, boolean live, int logEvery, LongSupplier clock) {
        this.out = out;
        this.live = live;
        this.logEvery = Math.max(1, logEvery);
        this.clock = clock;
    }

    @Override
    public void onStart(long step, long totalSteps, int epoch, int epochs) {
        startStep = step;
        firstStep = step + 1;
        startNanos = clock.getAsLong();
        if (live) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(out)).startsFrom(step, Duration.ZERO).build();
        } else {
            out.printf(Locale.ROOT, "training steps %d..%d (epoch %d of %d)%n", step + 1, totalSteps, epoch + 1, epochs);
        }
    }

    @Override
    public void onStep(StepStats s) {
        if (bar != null) {
            bar.stepTo(s.step());
            bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d/%d loss %.4f %.1f img/s",
                    s.epoch(), s.epochs(), s.loss(), s.imagesPerSec()));
        } else if (s.step() % logEvery == 0 || s.step() == s.totalSteps()) {
            out.println(line(s));
        }
        if (s.step() == firstStep) {
            // the first step also compiles (the JIT warms up; a device engine compiles its kernels, a minute or
            // more): the ETA counts from its end, so it reflects the steps to come
            startStep = s.step();
            startNanos = clock.getAsLong();
        }
    }

    /** The plain progress line for one step. */
    String line(StepStats s) {
        double elapsed = (clock.getAsLong() - startNanos) * 1e-9;
        long done = s.step() - startStep, left = s.totalSteps() - s.step();
        long eta = done > 0 ? Math.round(elapsed / done * left) : 0;
        return String.format(Locale.ROOT, "step %d/%d | epoch %d/%d | loss %.4f | lr %.3g | grad %.3g | %.1f img/s | eta %s",
                s.step(), s.totalSteps(), s.epoch(), s.epochs(), s.loss(), s.lr(), s.gradNorm(), s.imagesPerSec(), hms(eta));
    }

    static String hms(long seconds) {
        return String.format(Locale.ROOT, "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }

    @Override
    public void onCheckpoint(long step, Path file) {
        if (bar == null) out.println("checkpoint step " + step + " -> " + file);
    }

    @Override
    public void onFinish(long step, TrainLoop.Outcome outcome) {
        close();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
