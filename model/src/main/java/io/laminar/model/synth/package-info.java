/**
 * Synthetic models: GGUF files with real shapes and random weights, for tests and benchmarks that
 * need a model of a given size and weight type without downloading one.
 *
 * <pre>{@code
 * Path p = new SyntheticModelWriter(ModelShape.TINY)     // or a preset: ModelShape.preset("llama-3.2-1B")
 *         .weightType(GgmlType.Q8_0)
 *         .seed(42)
 *         .writeCached(Path.of(".laminar-cache"));       // or write(path)
 * SyntheticVocabulary v = SyntheticVocabulary.of(ModelShape.TINY.vocabSize());
 * int[] prompt = v.encode("a b c");                        // ids; prepend SyntheticVocabulary.BOS_ID
 * }</pre>
 *
 * <p>From the command line: {@code java -cp ... io.laminar.model.synth.SyntheticModelWriter
 * llama-3.2-1B Q8_0 /tmp/1b.gguf}.
 */
package io.laminar.model.synth;
