package io.laminar.model.weights;

import io.laminar.kernels.GgmlType;
import io.laminar.kernels.Quantization;
import io.laminar.kernels.WeightMatrix;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.arch.UnsupportedModelException;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.gguf.GgufFormatException;
import io.laminar.model.gguf.GgufTensor;

import java.util.function.UnaryOperator;

/**
 * The weights one pipeline stage needs: the blocks of its layer range, plus the token embedding
 * when it is the first stage and the final norm and output head when it is the last. Nothing is
 * read from the file beyond these tensors, so a stage maps (and pages in) only its share.
 *
 * @param range          the layers, as indices into the whole model
 * @param tokenEmbedding [vocab x dim] when {@code range} starts at layer 0, else {@code null}
 * @param layers         one entry per layer of {@code range}
 * @param outputNorm     [dim] when {@code range} ends at the last layer, else {@code null}
 * @param output         [vocab x dim] (the embedding when tied) for the last stage, else {@code null}
 */
public record StageWeights(
        LayerRange range,
        WeightMatrix tokenEmbedding,
        LayerWeights[] layers,
        float[] outputNorm,
        WeightMatrix output) {

    /**
     * These weights with every matrix product operand passed through {@code prepare} (the kernel
     * backend's chance to rearrange a matrix for speed, see {@code CpuKernels.prepare}). The token
     * embedding is left as stored: it is read row by row. A matrix that was copied into a new layout
     * has its pages of the mapped file released, so the weights are resident once, not twice.
     */
    public StageWeights prepared(UnaryOperator<WeightMatrix> prepare) {
        UnaryOperator<WeightMatrix> p = w -> {
            WeightMatrix out = prepare.apply(w);
            if (out != w && w.data().isMapped() && w != tokenEmbedding) {
                w.data().unload();
            }
            return out;
        };
        LayerWeights[] ls = new LayerWeights[layers.length];
        for (int i = 0; i < layers.length; i++) {
            LayerWeights l = layers[i];
            ls[i] = new LayerWeights(l.attnNorm(), p.apply(l.wq()), p.apply(l.wk()), p.apply(l.wv()), p.apply(l.wo()),
                    l.bq(), l.bk(), l.bv(), l.qNorm(), l.kNorm(), l.ffnNorm(), p.apply(l.gate()), p.apply(l.up()),
                    p.apply(l.down()));
        }
        return new StageWeights(range, tokenEmbedding, ls, outputNorm, output == null ? null : p.apply(output));
    }

    public boolean first() {
        return tokenEmbedding != null;
    }

    public boolean last() {
        return output != null;
    }

    public static StageWeights load(GgufFile file, ModelConfig c, LayerRange range) {
        range.checkWithin(c.layers());
        Loader l = new Loader(file);
        boolean first = range.start() == 0;
        boolean last = range.end() == c.layers();
        WeightMatrix embedding = first || (last && c.tiedEmbeddings())
                ? l.matrix("token_embd.weight", c.vocabSize(), c.dim()) : null;
        LayerWeights[] layers = new LayerWeights[range.size()];
        boolean bias = c.architecture().qkvBias();
        boolean qkNorm = c.architecture().qkNorm();
        for (int i = 0; i < layers.length; i++) {
            String b = "blk." + (range.start() + i) + ".";
            layers[i] = new LayerWeights(
                    l.vector(b + "attn_norm.weight", c.dim()),
                    l.matrix(b + "attn_q.weight", c.qDim(), c.dim()),
                    l.matrix(b + "attn_k.weight", c.kvDim(), c.dim()),
                    l.matrix(b + "attn_v.weight", c.kvDim(), c.dim()),
                    l.matrix(b + "attn_output.weight", c.dim(), c.qDim()),
                    bias ? l.vector(b + "attn_q.bias", c.qDim()) : null,
                    bias ? l.vector(b + "attn_k.bias", c.kvDim()) : null,
                    bias ? l.vector(b + "attn_v.bias", c.kvDim()) : null,
                    qkNorm ? l.vector(b + "attn_q_norm.weight", c.headDim()) : null,
                    qkNorm ? l.vector(b + "attn_k_norm.weight", c.headDim()) : null,
                    l.vector(b + "ffn_norm.weight", c.dim()),
                    l.matrix(b + "ffn_gate.weight", c.hiddenDim(), c.dim()),
                    l.matrix(b + "ffn_up.weight", c.hiddenDim(), c.dim()),
                    l.matrix(b + "ffn_down.weight", c.dim(), c.hiddenDim()));
        }
        float[] outputNorm = last ? l.vector("output_norm.weight", c.dim()) : null;
        WeightMatrix output = last
                ? (c.tiedEmbeddings() ? embedding : l.matrix("output.weight", c.vocabSize(), c.dim()))
                : null;
        return new StageWeights(range, first ? embedding : null, layers, outputNorm, output);
    }

    /** Looks tensors up and checks their type and shape, naming the tensor in every error. */
    private record Loader(GgufFile file) {
        WeightMatrix matrix(String name, int rows, int cols) {
            GgufTensor t = file.tensor(name);
            if (!t.type().supported()) {
                throw new UnsupportedModelException("tensor " + name + " has type " + t.type()
                        + ", which Laminar does not support (supported: " + GgmlType.supportedNames() + ")");
            }
            if (t.shape().length != 2 || t.cols() != cols || t.rows() != rows) {
                throw new GgufFormatException(file.path() + ": tensor " + name + " has shape "
                        + java.util.Arrays.toString(t.shape()) + ", expected [" + cols + ", " + rows + "]");
            }
            return new WeightMatrix(name, t.type(), rows, cols, t.data());
        }

        float[] vector(String name, int n) {
            GgufTensor t = file.tensor(name);
            if (t.elementCount() != n) {
                throw new GgufFormatException(file.path() + ": tensor " + name + " has "
                        + t.elementCount() + " elements, expected " + n);
            }
            if (!t.type().supported()) {
                throw new UnsupportedModelException("tensor " + name + " has type " + t.type()
                        + ", which Laminar does not support");
            }
            float[] v = new float[n];
            Quantization.dequantizeRow(t.type(), t.data(), 0, v, 0, n);
            return v;
        }
    }
}
