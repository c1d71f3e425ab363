package io.laminar.actors;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import io.laminar.actors.scheduler.PipelineScheduler;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.kernels.GgmlType;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.synth.ModelShape;
import io.laminar.model.synth.SyntheticModelWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stall a request sees when the stage hosting its last layers leaves about {@value #AT} tokens
 * in and a spare stage hosting the same layers takes over: measured once with the request run again
 * from the start (its tokens decoded again one step at a time and skipped, as a resubmission without
 * the tokens it generated does) and once resumed with them (read with the prompt in chunks). Both
 * must give the uninterrupted run's tokens; the figures are printed.
 *
 * <p>The model is {@link ModelShape#TINY} unless {@code -Dlaminar.stall.shape} names another preset
 * (e.g. {@code stories110M}, on which decoding a few hundred tokens takes seconds).
 */
class StageLossStallTest {
    /** Tokens generated when the stage is made to leave. */
    static final int AT = 200;
    private static final int LENGTH = 240;
    private static final SamplingParams[] CANDIDATES = {
            new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1.1f, 64, 77L),
            new SamplingParams(0.5f, 40, 0.95f, 0.05f, 1.5f, 256, 78L),
            new SamplingParams(0.3f, 20, 0.9f, 0.05f, 2f, 256, 79L),
            new SamplingParams(0f, 40, 1f, 0f, 2f, 256, 0L)};

    @TempDir
    Path tmp;

    /** How one interruption went. */
    record Stall(int tokensBefore, long lossToFailedNanos, long failedToNextTokenNanos, int[] tokens) {
        long totalMillis() {
            return (lossToFailedNanos + failedToNextTokenNanos) / 1_000_000;
        }

        @Override
        public String toString() {
            return String.format("%d tokens in: loss -> STAGE_LOST %d ms, STAGE_LOST -> token %d %d ms, total %d ms",
                    tokensBefore, lossToFailedNanos / 1_000_000, tokensBefore, failedToNextTokenNanos / 1_000_000,
                    totalMillis());
        }
    }

    @Test
    void aRequestResumedOnASpareStageStallsForAPrefillNotForItsWholeDecode() throws Exception {
        ModelShape shape = ModelShape.preset(System.getProperty("laminar.stall.shape", ModelShape.TINY.name()));
        Path model = new SyntheticModelWriter(shape).weightType(GgmlType.Q8_0).writeCached(tmp);
        int[] prompt = {1, 40, 41, 97, 2, 130, 7, 64};
        SamplingParams sampling = null;
        HostSettings first = HostSettings.local(model, List.of(new LayerRange(0, 1)), 1)
                .withBatch(64, 4, 256).withScheduling(0, Duration.ofSeconds(60));
        HostSettings lastLayers = first.hosting(List.of(new LayerRange(1, shape.layers())), false);
        try (PipelineHost host = PipelineHost.start(first)) {
            PipelineClient client = new PipelineClient(host.system(), host.scheduler());
            Holdable serving = Holdable.start(lastLayers, host.port());
            Holdable spare = null;
            Holdable spare2 = null;
            try {
                client.awaitReady(Duration.ofSeconds(60));
                // A synthetic model may end a run early (an end-of-generation token): the first
                // settings whose run goes the whole length are used. The prompt holds that token, so
                // that a repetition penalty over the whole sequence keeps it down.
                int[] whole = new int[0];
                for (int i = 0; i < CANDIDATES.length && whole.length < LENGTH; i++) {
                    sampling = CANDIDATES[i];
                    EventCollector reference = new EventCollector(host.system());
                    host.scheduler().tell(new PipelineScheduler.Submit("whole-" + i, prompt, LENGTH, sampling,
                            reference.ref));
                    reference.end.get(300, TimeUnit.SECONDS);
                    whole = reference.tokens();
                }
                assertEquals(LENGTH, whole.length, "every uninterrupted run ended early: nothing to measure");

                // Long prompts first, as a serving process has seen: the resume's prefill is then
                // timed with its chunked products compiled, as the decode steps are by the runs above.
                for (int i = 0; i < 3; i++) {
                    EventCollector warm = new EventCollector(host.system());
                    int[] longPrompt = Arrays.copyOf(prompt, prompt.length + AT);
                    System.arraycopy(whole, 0, longPrompt, prompt.length, AT);
                    host.scheduler().tell(new PipelineScheduler.Submit("warm-" + i, longPrompt, 1, sampling,
                            warm.ref));
                    warm.end.get(300, TimeUnit.SECONDS);
                }
                spare = Holdable.start(lastLayers, host.port());
                awaitMembers(host, 3);
                Stall fromStart = interrupt(host, serving, "from-start", prompt, sampling, false);
                spare2 = Holdable.start(lastLayers, host.port());
                awaitMembers(host, 3);
                Stall prefilled = interrupt(host, spare, "prefilled", prompt, sampling, true);

                System.out.printf("stage-loss stall (%s, %d-token prompt, spare stage present):%n"
                        + "  run again from the start: %s%n  resumed by prefill:       %s%n",
                        shape.name(), prompt.length, fromStart, prefilled);
                assertArrayEquals(whole, fromStart.tokens(), "run again from the start");
                assertArrayEquals(whole, prefilled.tokens(), "resumed by prefill");
                assertTrue(fromStart.tokensBefore() >= AT && prefilled.tokensBefore() >= AT);
            } finally {
                for (Holdable h : new Holdable[] {serving, spare, spare2}) {
                    if (h != null) {
                        h.host.close();
                    }
                }
            }
        }
    }

    /**
     * Runs a request on the pipeline through {@code leaving}; once {@value #AT} tokens have come, slows
     * that stage so the request cannot finish, and closes it. The request, failed with STAGE_LOST, is
     * submitted again at once: with the tokens it generated when {@code resume}, else as it was.
     */
    private static Stall interrupt(PipelineHost host, Holdable leaving, String id, int[] prompt,
                                   SamplingParams sampling, boolean resume) throws Exception {
        Resubmitter r = new Resubmitter(host, new PipelineScheduler.Submit(id, prompt, LENGTH, sampling, null), resume);
        while (r.received() < AT && !r.done.isDone()) {
            Thread.sleep(1);
        }
        leaving.slow.set(true);
        r.lossNanos = System.nanoTime();
        CompletableFuture.runAsync(leaving.host::close);
        r.done.get(300, TimeUnit.SECONDS);
        assertTrue(r.failedNanos > 0, id + ": the request was not interrupted");
        return new Stall(r.countAtFailure, r.failedNanos - r.lossNanos, r.resumedNanos - r.failedNanos, r.tokens());
    }

    private static void awaitMembers(PipelineHost host, int members) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (host.clusterMembers().stream().filter(m -> m.contains(" Up")).count() < members
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        // The receptionist's listing, and the new stage's description, follow membership.
        Thread.sleep(2000);
    }

    /** A process hosting the last layers, whose steps can be slowed. */
    private record Holdable(PipelineHost host, AtomicBoolean slow) {
        static Holdable start(HostSettings s, int seedPort) throws Exception {
            AtomicBoolean slow = new AtomicBoolean();
            PipelineHost h = PipelineHost.start(s.withNetwork("127.0.0.1", 0, List.of("127.0.0.1:" + seedPort)),
                    header -> {
                        if (slow.get()) {
                            try {
                                Thread.sleep(200);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
            return new Holdable(h, slow);
        }
    }

    /**
     * Plays the gateway: records tokens by index (checking any repeat against the first), and on
     * STAGE_LOST submits the request again, noting when the first token past those received arrives.
     */
    private static final class Resubmitter {
        final CompletableFuture<SequenceEvent> done = new CompletableFuture<>();
        private final int[] tokens = new int[LENGTH];
        private volatile int count;
        volatile long lossNanos;
        volatile long failedNanos;
        volatile long resumedNanos;
        volatile int countAtFailure;

        Resubmitter(PipelineHost host, PipelineScheduler.Submit template, boolean resume) {
            host.system().systemActorOf(Behaviors.<SequenceEvent>setup(ctx -> {
                ActorRef<SequenceEvent> self = ctx.getSelf();
                PipelineScheduler.Submit submit = new PipelineScheduler.Submit(template.requestId(),
                        template.promptIds(), template.maxTokens(), template.sampling(), self);
                host.scheduler().tell(submit);
                return Behaviors.receiveMessage(e -> {
                    switch (e) {
                        case SequenceEvent.Token t -> {
                            if (t.index() < count) {
                                if (tokens[t.index()] != t.tokenId()) {
                                    done.completeExceptionally(new AssertionError("token " + t.index()
                                            + " was " + tokens[t.index()] + ", run again " + t.tokenId()));
                                }
                            } else {
                                if (t.index() != count) {
                                    done.completeExceptionally(new AssertionError("token " + count + " skipped"));
                                }
                                tokens[count++] = t.tokenId();
                                if (failedNanos > 0 && resumedNanos == 0) {
                                    resumedNanos = System.nanoTime();
                                }
                            }
                        }
                        case SequenceEvent.Failed f when f.kind() == SequenceEvent.FailureKind.STAGE_LOST
                                && failedNanos == 0 -> {
                            failedNanos = System.nanoTime();
                            countAtFailure = count;
                            host.scheduler().tell(resume ? submit.resumingAfter(Arrays.copyOf(tokens, count)) : submit);
                        }
                        default -> done.complete(e);
                    }
                    return Behaviors.same();
                });
            }), "resubmitter-" + template.requestId(), Props.empty());
        }

        int received() {
            return count;
        }

        int[] tokens() {
            return Arrays.copyOf(tokens, count);
        }
    }
}
