package io.laminar.model.exec;

import io.laminar.model.arch.ModelConfig;
import io.laminar.model.inspect.AttentionSink;
import io.laminar.model.weights.StageWeights;

/**
 * Runs one pipeline stage's layers over a {@link TokenBatch}: what a stage actor or a
 * {@link LocalPipeline} drives, whatever computes it. {@link StageRunner} is the CPU implementation;
 * a device backend ({@link StageBackend}) keeps the stage's weights and KV cache resident on its
 * device, so that only each step's activations cross between host and device.
 *
 * <p>A step is {@link #embed} (first stage), {@link #forward}, then on the last stage either
 * {@link #logits} or {@link #greedy}. The hidden state travels as {@code float[tokens * dim]}.
 * Between {@code forward} and {@code logits}/{@code greedy} of one step the caller passes the same
 * array, unchanged: a device implementation may use its own copy of the hidden state it just computed.
 * Not thread-safe: a stage runs one step at a time.
 */
public interface StageExecutor extends AutoCloseable {

    /** The backend's name as {@code --backend} spells it, e.g. {@code cpu} or {@code tornadovm}. */
    String backend();

    ModelConfig config();

    StageWeights weights();

    /** The block tables of the stage's KV cache (its storage may live on a device). */
    KvCache kvCache();

    int maxBatch();

    /** First stage: writes the embeddings of the batch's tokens into {@code x[t*dim..]}. */
    void embed(TokenBatch batch, float[] x);

    /**
     * Runs this stage's layers over the batch, updating the hidden state {@code x[t*dim..]} in place.
     * The batch's KV slots must have room for its positions ({@link KvCache#reserve}).
     */
    void forward(TokenBatch batch, float[] x);

    /**
     * Last stage: final norm and output head for the batch entries that want logits, in batch order.
     * Writes {@code logits[i*vocab..]} for the i-th such entry and returns how many there were.
     */
    int logits(TokenBatch batch, float[] x, float[] logits);

    /**
     * Last stage, greedy decoding: for the i-th entry that wants logits, writes the id of its most
     * likely next token (the lowest id on ties, as {@link io.laminar.model.sampling.Sampler} picks)
     * into {@code tokens[i]} and returns how many entries there were. A device backend computes the
     * argmax on the device, so only token ids come back.
     */
    int greedy(TokenBatch batch, float[] x, int[] tokens);

    /**
     * Marks the sequence in KV slot {@code slot} for inspection: from the next {@link #forward} on, the
     * softmax weights of each of its tokens, in every layer and head of this stage, go to {@code sink}.
     * {@code null} unmarks it (as releasing the slot should). Sequences not marked pay one null check
     * per token and layer. Capture is CPU-only for now: a device backend refuses a sink.
     *
     * @throws UnsupportedOperationException on a backend that cannot capture
     */
    default void inspect(int slot, AttentionSink sink) {
        if (sink != null) {
            throw new UnsupportedOperationException("attention capture is CPU-only for now: the " + backend()
                    + " backend cannot inspect a sequence");
        }
    }

    /** Frees what the stage holds beyond the heap (device memory); the CPU stage holds nothing. */
    @Override
    default void close() {
    }
}
