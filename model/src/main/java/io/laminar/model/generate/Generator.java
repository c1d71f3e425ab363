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
 *
 * <p>With a {@link PromptLookup}, it decodes speculatively: a step checks a sequence's drafted
 * tokens along with its next one, and keeps each sampled token while the one before it matched its
 * draft. Row i of a sequence's decode holds the logits after the first i drafted tokens, which are
 * those an unspeculative run computes at that position (a step's results never depend on its
 * batch), and a token is sampled from a row only once the one before has been kept, so the sampler
 * draws as often, in the same order, as without speculation: the output is the same token for token,
 * greedy or seeded, and only the number of steps changes.
 */
public final class Generator {
    private final LocalPipeline pipeline;
    private final IntPredicate endOfGeneration;
    private final int maxSequences;
    private final TokenBatch batch;
    private final float[] logits;
    private final int vocab;
    private final PromptLookup lookup;
    private final SequenceProgress[] owners;
    private final int[] draft;
    private long drafted;
    private long draftsTaken;

    /**
     * @param endOfGeneration which token ids end a sequence (EOS, end-of-turn)
     * @param maxSequences    sequences decoded together at most (KV slots of the pipeline)
     */
    public Generator(LocalPipeline pipeline, IntPredicate endOfGeneration, int maxSequences) {
        this(pipeline, endOfGeneration, maxSequences, null);
    }

    /** @param lookup drafts for speculative decoding; null decodes one token per sequence and step */
    public Generator(LocalPipeline pipeline, IntPredicate endOfGeneration, int maxSequences, PromptLookup lookup) {
        this.pipeline = pipeline;
        this.endOfGeneration = endOfGeneration;
        this.maxSequences = maxSequences;
        this.lookup = lookup;
        this.batch = new TokenBatch(pipeline.maxBatch());
        this.vocab = pipeline.config().vocabSize();
        // A row per sequence, and with drafts a row per drafted token too (at most one per batch entry).
        int rows = lookup == null ? maxSequences : Math.max(maxSequences, pipeline.maxBatch());
        this.logits = new float[rows * vocab];
        this.owners = new SequenceProgress[rows];
        this.draft = new int[pipeline.maxBatch()];
    }

    /** Tokens drafted so far, and how many of them were kept: the acceptance rate is their ratio. */
    public long drafted() {
        return drafted;
    }

    public long draftsTaken() {
        return draftsTaken;
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
        StepPlanner.Drafter drafter = lookup == null ? null
                : (s, limit, out) -> bySlot[s.slot()].draft(lookup, limit, out);

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
            int rows = StepPlanner.plan(activeProgress, batch, owners, drafter, draft);
            reserveKv();
            pipeline.step(batch, logits);
            long now = System.nanoTime();
            for (Run run : active) {
                run.tookPart(start);
            }
            for (int i = 0; i < rows; ) {
                int end = i + 1;
                while (end < rows && owners[end] == owners[i]) {
                    end++;
                }
                acceptRows(bySlot[owners[i].slot()], i, end, now);
                i = end;
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

    /**
     * Samples a sequence's rows {@code [first, end)} in order: the first always, each next one while
     * the token just sampled equals the draft the next row was computed after (batch entry of that row).
     */
    private void acceptRows(Run run, int first, int end, long now) {
        drafted += end - first - 1;
        for (int row = first; row < end; row++) {
            if (row > first) {
                if (run.progress.finished() || run.last != batch.token(row)) {
                    return;
                }
                run.progress.draftTaken();
                draftsTaken++;
            }
            run.last = run.sampler.sample(logits, row * vocab);
            run.accept(run.last, endOfGeneration, now);
        }
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
        /** The token sampled last. */
        int last;
        /** The prompt and the output so far, for drafts. */
        int[] history;

        Run(GenerationRequest request, int vocab, int context) {
            this.request = request;
            this.progress = new SequenceProgress(request.promptIds(), request.maxTokens(), context);
            this.sampler = new Sampler(request.sampling(), vocab);
            for (int t : request.promptIds()) {
                sampler.accept(t);
            }
        }

        int draft(PromptLookup lookup, int limit, int[] out) {
            if (history == null) {
                history = new int[progress.maxLength() + 1];
            }
            return lookup.draft(history, progress.history(history), limit, out);
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
