package dip.trainer;

import dip.layers.Param;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainLoopTest {
    static final ToyData DATA = new ToyData(20, 2, 4, 3, 5);   // 20 images 2×4×4, 3 classes

    static TrainConfig cfg(long seed) {
        return new TrainConfig(4, 1e-2, 0.9, 0.999, 0.01, 0.9, 0.1, 2, 1.0, seed);
    }

    static TrainState fresh(long seed) {
        return new TrainState(ToyDenoiser.of(DATA, 4, seed), cfg(seed), DATA.size());
    }

    /** Records what the loop reports, and the steps at which it checkpointed. */
    static final class Capture implements ProgressListener {
        final List<StepStats> steps = new ArrayList<>();
        LongConsumer afterStep = step -> { };
        final List<Long> saves = new ArrayList<>();
        final List<Integer> epochs = new ArrayList<>();
        TrainLoop.Outcome outcome;
        @Override public void onStep(StepStats s) { steps.add(s); afterStep.accept(s.step()); }
        @Override public void onEpochEnd(int epoch, TrainState st) { epochs.add(epoch); }
        @Override public void onCheckpoint(long step, Path f) { saves.add(step); }
        @Override public void onFinish(long step, TrainLoop.Outcome o) { outcome = o; }
    }

    static final TrainLoop.Checkpointer NO_FILE = st -> Path.of("mem");

    @Test
    void aFixedSeedGivesAnIdenticalRun() throws Exception {
        TrainState a = fresh(3), b = fresh(3), c = fresh(4);
        new TrainLoop(a, DATA, new Capture(), NO_FILE, 0).run(2, Long.MAX_VALUE);
        new TrainLoop(b, DATA, new Capture(), NO_FILE, 0).run(2, Long.MAX_VALUE);
        new TrainLoop(c, DATA, new Capture(), NO_FILE, 0).run(2, Long.MAX_VALUE);
        for (int i = 0; i < a.model.params().size(); i++) {
            Param pa = a.model.params().all().get(i), pb = b.model.params().all().get(i);
            assertArrayEquals(pa.values(), pb.values(), 0f, pa.name());
            assertArrayEquals(a.ema.weights(i), b.ema.weights(i), 0f, "ema " + pa.name());
        }
        assertNotEquals(a.model.params().all().get(0).get(0), c.model.params().all().get(0).get(0));
    }

    @Test
    void countsStepsEpochsAndCheckpoints() throws Exception {
        Capture cap = new Capture();
        TrainState s = fresh(1);
        TrainLoop loop = new TrainLoop(s, DATA, cap, NO_FILE, 3);
        assertEquals(5, loop.stepsPerEpoch());                      // 20 images / batch 4
        assertEquals(TrainLoop.Outcome.FINISHED, loop.run(2, Long.MAX_VALUE));
        assertEquals(10, s.step());
        assertEquals(10, cap.steps.size());
        assertEquals(List.of(1, 2), cap.epochs);
        assertEquals(List.of(3L, 5L, 6L, 9L, 10L), cap.saves);      // every 3, each epoch end, no duplicate at the end
        assertEquals(10, s.adamw.stepCount());
        var first = cap.steps.get(0);
        assertEquals(1, first.step());
        assertEquals(10, first.totalSteps());
        assertEquals(0.5e-2, first.lr(), 1e-12);                    // warmup 2: half the lr on the first step
        assertEquals(1e-2, cap.steps.get(1).lr(), 1e-12);
        assertEquals(2, cap.steps.get(9).epoch());
        for (var st : cap.steps) assertTrue(st.loss() > 0 && st.gradNorm() > 0 && st.imagesPerSec() > 0);
    }

    @Test
    void maxStepsStopsEarlyAndTheLossGoesDown() throws Exception {
        Capture cap = new Capture();
        TrainState s = new TrainState(ToyDenoiser.of(DATA, 4, 2),
                new TrainConfig(4, 3e-2, 0.9, 0.999, 0, 0.9, 0.1, 0, 0, 2), DATA.size());
        new TrainLoop(s, DATA, cap, NO_FILE, 0).run(1000, 300);
        assertEquals(300, s.step());
        double early = 0, late = 0;
        for (int i = 0; i < 10; i++) early += cap.steps.get(i).loss() / 10;
        for (int i = 0; i < 50; i++) late += cap.steps.get(250 + i).loss() / 50;
        assertTrue(late < 0.9 * early, "loss should fall: first 10 steps " + early + ", last 50 " + late);
    }

    @Test
    void aStopRequestEndsAtAStepBoundaryAndCheckpoints() throws Exception {
        TrainState s = fresh(1);
        Capture cap = new Capture();
        TrainLoop loop = new TrainLoop(s, DATA, cap, NO_FILE, 0);
        cap.afterStep = step -> { if (step == 3) loop.requestStop(); };   // as the SIGINT handler does, mid-run
        assertEquals(TrainLoop.Outcome.STOPPED, loop.run(5, Long.MAX_VALUE));
        assertEquals(3, s.step());
        assertEquals(List.of(3L), cap.saves);
        assertEquals(TrainLoop.Outcome.STOPPED, cap.outcome);
    }

    @Test
    void aNonFiniteLossStopsWithTheStepAndNeitherUpdatesNorSaves() throws Exception {
        TrainState s = fresh(1);
        Capture cap = new Capture();
        ToyDenoiser toy = (ToyDenoiser) s.model;
        cap.afterStep = step -> { if (step == 2) toy.poison = true; };
        TrainLoop loop = new TrainLoop(s, DATA, cap, NO_FILE, 1);
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class, () -> loop.run(5, Long.MAX_VALUE));
        assertEquals(3, e.step());
        assertTrue(e.getMessage().contains("step 3"), e.getMessage());
        assertEquals(2, s.step());
        assertEquals(2, s.adamw.stepCount());
        assertEquals(List.of(1L, 2L), cap.saves);                   // nothing saved after the NaN
        assertEquals(null, cap.outcome);
        for (Param p : s.model.params().all()) for (float v : p.values()) assertTrue(Float.isFinite(v), p.name());
    }

    @Test
    void rejectsDataThatDoesNotFitTheModel() {
        TrainState s = fresh(1);
        var other = new ToyData(20, 2, 4, 5, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> new TrainLoop(s, other, new Capture(), NO_FILE, 0));
        assertTrue(e.getMessage().contains("5 classes"), e.getMessage());
    }
}
