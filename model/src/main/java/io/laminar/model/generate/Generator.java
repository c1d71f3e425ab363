package io.laminar.model.generate;

import io.laminar.model.exec.LocalPipeline;
import io.laminar.model.exec.TokenBatch;
import io.laminar.model.sampling.Sampler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Generates several sequences together on a {@link LocalPipeline}, synchronously: each step
 * carries one decode token for every sequence that is generating and fills the rest of the batch
 * with prompt chunks of sequences still reading their prompt, so a long prompt never stalls the
 * others. Sequences wait for a free KV slot, take it, and give it back when they finish.
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
        for (GenerationRequest r : requests) {
            if (r.promptIds().length >= pipeline.context()) {
                throw new IllegalArgumentException("prompt of " + r.promptIds().length
                        + " tokens does not fit the context of " + pipeline.context() + " tokens");
            }
        }
        ArrayDeque<Sequence> waiting = new ArrayDeque<>();
        for (GenerationRequest r : requests) {
            waiting.add(new Sequence(r, vocab));
        }
        List<Sequence> all = new ArrayList<>(waiting);
        Sequence[] bySlot = new Sequence[maxSequences];
        List<Sequence> active = new ArrayList<>();
        Sequence[] logitOwners = new Sequence[maxSequences];

        while (!waiting.isEmpty() || !active.isEmpty()) {
            // Admit waiting sequences into free slots.
            for (int slot = 0; slot < maxSequences && !waiting.isEmpty(); slot++) {
                if (bySlot[slot] == null) {
                    Sequence s = waiting.poll();
                    s.slot = slot;
                    bySlot[slot] = s;
                    active.add(s);
                }
            }
            // Form the step: decode tokens first, then prompt chunks.
            batch.clear();
            int owners = 0;
            for (Sequence s : active) {
                if (s.prefilled()) {
                    reserve(s, s.position + 1);
                    batch.add(s.lastToken, s.slot, s.position++, true);
                    logitOwners[owners++] = s;
                }
            }
            for (Sequence s : active) {
                while (!s.prefilled() && batch.size() < batch.capacity()) {
                    int[] prompt = s.request.promptIds();
                    int take = Math.min(prompt.length - s.promptDone, batch.capacity() - batch.size());
                    reserve(s, s.promptDone + take);
                    for (int i = 0; i < take; i++) {
                        boolean lastOfPrompt = s.promptDone + i == prompt.length - 1;
                        batch.add(prompt[s.promptDone + i], s.slot, s.promptDone + i, lastOfPrompt);
                        if (lastOfPrompt) {
                            logitOwners[owners++] = s;
                        }
                    }
                    if (s.promptStart == 0) {
                        s.promptStart = System.nanoTime();
                    }
                    s.promptDone += take;
                    s.position = s.promptDone;
                }
            }
            int rows = pipeline.step(batch, logits);
            long now = System.nanoTime();
            for (int i = 0; i < rows; i++) {
                Sequence s = logitOwners[i];
                int token = s.sampler.sample(logits, i * vocab);
                if (s.generated.length() == 0 && s.promptNanos == 0) {
                    s.promptNanos = now - s.promptStart;
                    s.decodeStart = now;
                }
                s.accept(token, endOfGeneration, pipeline.context());
            }
            for (int i = active.size() - 1; i >= 0; i--) {
                Sequence s = active.get(i);
                if (s.finish != null) {
                    s.finish(now);
                    pipeline.release(s.slot);
                    bySlot[s.slot] = null;
                    active.remove(i);
                }
            }
        }
        List<GenerationResult> results = new ArrayList<>(all.size());
        for (Sequence s : all) {
            results.add(s.result);
        }
        return results;
    }

    private void reserve(Sequence s, int length) {
        if (!pipeline.reserve(s.slot, length)) {
            throw new IllegalStateException("KV cache has no room for slot " + s.slot + " at length " + length);
        }
    }

    /** A request's progress. */
    private static final class Sequence {
        final GenerationRequest request;
        final Sampler sampler;
        final IntList generated = new IntList();
        int slot = -1;
        int promptDone;
        int position;
        int lastToken;
        long promptStart;
        long promptNanos;
        long decodeStart;
        FinishReason finish;
        GenerationResult result;

        Sequence(GenerationRequest request, int vocab) {
            this.request = request;
            this.sampler = new Sampler(request.sampling(), vocab);
            for (int t : request.promptIds()) {
                sampler.accept(t);
            }
            if (request.maxTokens() == 0) {
                finish = FinishReason.LENGTH;
            }
        }

        boolean prefilled() {
            return promptDone == request.promptIds().length;
        }

        void accept(int token, IntPredicate endOfGeneration, int context) {
            if (finish != null) {
                return;
            }
            if (endOfGeneration.test(token)) {
                finish = FinishReason.STOP;
                return;
            }
            request.listener().onToken(generated.length(), token);
            generated.add(token);
            sampler.accept(token);
            lastToken = token;
            if (generated.length() >= request.maxTokens()) {
                finish = FinishReason.LENGTH;
            } else if (position >= context) {
                finish = FinishReason.CONTEXT;
            }
        }

        void finish(long now) {
            GenerationStats stats = new GenerationStats(request.promptIds().length, generated.length(),
                    promptNanos, decodeStart == 0 ? 0 : now - decodeStart);
            result = new GenerationResult(generated.toArray(), finish, stats);
            request.listener().onFinish(finish, stats);
        }
    }

    /** A growable int list, to keep generated ids unboxed. */
    private static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        int length() {
            return n;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
