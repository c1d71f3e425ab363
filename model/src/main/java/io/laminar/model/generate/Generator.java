package io.laminar.model.generate;

import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.sampling.Sampler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Generates several sequences together on a {@link LocalPipeline}, synchronously, with continuous
 * batching: sequences wait for a free KV slot, join the next step, and leave when they finish;
 * each step is formed by {@link StepPlanner}. The actor pipeline does the same asynchronously.
 */
public final class Generator {
    private final LocalPipeline pipeline;
    private final IntPredicate endOfGeneration;
    private final int maxSequences;
    private final TokenBatch batch;
    private final float[] logits;
    private final int vocab;

    /**
     * @param endOfGeneration which token ids end a sequence (EOS, end-of-turn)
     * @param maxSequences    sequences decoded together at most (KV slots of the pipeline)
     */
    public Generator(LocalPipeline pipeline, IntPredicate endOfGeneration, int maxSequences) {
        this.pipeline = pipeline;
        this.endOfGeneration = endOfGeneration;
        this.maxSequences = maxSequences;
        this.batch = new TokenBatch(pipeline.maxBatch());
        this.vocab = pipeline.config().vocabSize();
        this.logits = new float[maxSequences * vocab];
    }

    /** Generates one sequence. */
    public GenerationResult generate(GenerationRequest request) {
        return generateAll(List.of(request)).getFirst();
    }

    /**
     * Generates all requests, batched, and returns their results in request order.
     *
     * @throws IllegalArgumentException if a prompt does not fit the context
     */
    public List<GenerationResult> generateAll(List<GenerationRequest> requests) {
        int context = pipeline.context();
        for (GenerationRequest r : requests) {
            if (r.promptIds().length >= context) {
                throw new IllegalArgumentException("prompt of " + r.promptIds().length
                        + " tokens does not fit the context of " + context + " tokens");
            }
        }
        List<Run> all = new ArrayList<>();
        for (GenerationRequest r : requests) {
            all.add(new Run(r, vocab, context));
        }
        ArrayDeque<Run> waiting = new ArrayDeque<>(all);
        Run[] bySlot = new Run[maxSequences];
        List<Run> active = new ArrayList<>();
        List<SequenceProgress> activeProgress = new ArrayList<>();
        SequenceProgress[] owners = new SequenceProgress[maxSequences];

        while (!waiting.isEmpty() || !active.isEmpty()) {
            for (int slot = 0; slot < maxSequences && !waiting.isEmpty(); slot++) {
                if (bySlot[slot] == null) {
                    Run run = waiting.poll();
                    run.progress.assignSlot(slot);
                    bySlot[slot] = run;
                    active.add(run);
                }
            }
            activeProgress.clear();
            for (Run run : active) {
                activeProgress.add(run.progress);
            }
            long start = System.nanoTime();
            int rows = StepPlanner.plan(activeProgress, batch, owners);
            reserveKv();
            pipeline.step(batch, logits);
            long now = System.nanoTime();
            for (Run run : active) {
                run.tookPart(start);
            }
            for (int i = 0; i < rows; i++) {
                Run run = bySlot[owners[i].slot()];
                run.accept(run.sampler.sample(logits, i * vocab), endOfGeneration, now);
            }
            for (int i = active.size() - 1; i >= 0; i--) {
                Run run = active.get(i);
                if (run.progress.finished()) {
                    run.finish(now);
                    pipeline.release(run.progress.slot());
                    bySlot[run.progress.slot()] = null;
                    active.remove(i);
                }
            }
        }
        List<GenerationResult> results = new ArrayList<>(all.size());
        for (Run run : all) {
            results.add(run.result);
        }
        return results;
    }

    private void reserveKv() {
        for (int i = 0; i < batch.size(); i++) {
            if (!pipeline.reserve(batch.slot(i), batch.position(i) + 1)) {
                throw new IllegalStateException("KV cache has no room for slot " + batch.slot(i) + " at position "
                        + batch.position(i));
            }
        }
    }

    /** A request's progress, sampler and timings. */
    private static final class Run {
        final GenerationRequest request;
        final SequenceProgress progress;
        final Sampler sampler;
        long promptStart;
        long promptNanos;
        long decodeStart;
        GenerationResult result;

        Run(GenerationRequest request, int vocab, int context) {
            this.request = request;
            this.progress = new SequenceProgress(request.promptIds(), request.maxTokens(), context);
            this.sampler = new Sampler(request.sampling(), vocab);
            for (int t : request.promptIds()) {
                sampler.accept(t);
            }
        }

        void tookPart(long stepStart) {
            if (promptStart == 0) {
                promptStart = stepStart;
            }
        }

        void accept(int token, IntPredicate endOfGeneration, long now) {
            if (decodeStart == 0) {
                promptNanos = now - promptStart;
                decodeStart = now;
            }
            int index = progress.generatedCount();
            if (progress.accept(token, endOfGeneration)) {
                sampler.accept(token);
                request.listener().onToken(index, token);
            }
        }

        void finish(long now) {
            GenerationStats stats = new GenerationStats(request.promptIds().length, progress.generatedCount(),
                    promptNanos, decodeStart == 0 ? 0 : now - decodeStart);
            result = new GenerationResult(progress.generated(), progress.finish(), stats);
            request.listener().onFinish(progress.finish(), stats);
        }
    }
}
