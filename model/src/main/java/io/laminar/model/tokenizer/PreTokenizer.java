package io.laminar.model.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How a byte-level BPE vocabulary cuts text into words before merging, chosen by
 * {@code tokenizer.ggml.pre}, together with the settings llama.cpp ties to that choice. Each constant
 * is one distinct behaviour; the GGUF names that select it follow llama.cpp's {@code llama-vocab.cpp}.
 */
public enum PreTokenizer {
    /** What llama.cpp uses when {@code tokenizer.ggml.pre} is missing or "default". */
    DEFAULT(Splitters.DEFAULT, Settings.CLEAN_UP_SPACES, "default"),
    LLAMA3(Splitters.LLAMA3, Settings.IGNORE_MERGES | Settings.ADD_BOS | Settings.CLEAN_UP_SPACES,
            "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"),
    /** The Llama 3 regex without Llama 3's whole-word lookup and BOS. */
    DBRX(Splitters.LLAMA3, Settings.CLEAN_UP_SPACES, "dbrx", "smaug-bpe"),
    GPT2(Splitters.GPT2, Settings.CLEAN_UP_SPACES,
            "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
            "mellum", "exaone4", "mpt", "olmo", "jais"),
    GPT2_NO_CLEAN_UP(Splitters.GPT2, 0, "trillion", "granite-docling"),
    QWEN2(Splitters.QWEN2, 0, "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan"),
    QWEN2_WITH_CLEAN_UP(Splitters.QWEN2, Settings.CLEAN_UP_SPACES, "stablelm2", "megrez"),
    /** Digits one by one, then GPT-2's regex. */
    STARCODER(Splitters.STARCODER, Settings.CLEAN_UP_SPACES, "starcoder", "refact", "codeshell", "exaone", "minerva-7b"),
    /** StarCoder's splitting, as SmolLM and Command-R use it. */
    SMOLLM(Splitters.STARCODER, 0, "smollm", "command-r");

    public static final String GGUF_KEY = "tokenizer.ggml.pre";

    private final List<WordSplitter> splitters;
    private final int settings;
    private final List<String> ggufNames;

    PreTokenizer(List<WordSplitter> splitters, int settings, String... ggufNames) {
        this.splitters = splitters;
        this.settings = settings;
        this.ggufNames = List.of(ggufNames);
    }

    /**
     * The pre-tokenizer a {@code tokenizer.ggml.pre} value selects; {@code null} means the key is absent.
     *
     * @throws UnsupportedTokenizerException naming the value and listing the supported ones
     */
    public static PreTokenizer forGgufName(String name) {
        if (name == null) {
            return DEFAULT;
        }
        for (PreTokenizer p : values()) {
            if (p.ggufNames.contains(name)) {
                return p;
            }
        }
        throw new UnsupportedTokenizerException("unsupported pre-tokenizer: " + GGUF_KEY + "='" + name
                + "'; supported: " + Arrays.stream(values()).flatMap(p -> p.ggufNames.stream())
                .map(n -> "'" + n + "'").collect(Collectors.joining(", ")));
    }

    /** The {@code tokenizer.ggml.pre} values that select this pre-tokenizer. */
    public List<String> ggufNames() {
        return ggufNames;
    }

    /** Splits text into the words BPE merges within. Returns word lengths in code points. */
    IntList split(CodepointText text) {
        IntList segments = new IntList(1);
        if (text.length() > 0) {
            segments.add(text.length());
        }
        for (WordSplitter s : splitters) {
            segments = s.split(text, segments);
        }
        return segments;
    }

    /** A word that is itself a vocabulary token is emitted whole, without merging (Llama 3). */
    boolean ignoresMerges() {
        return (settings & Settings.IGNORE_MERGES) != 0;
    }

    /** Whether a BOS token is added by default when the metadata does not say. */
    boolean addsBos() {
        return (settings & Settings.ADD_BOS) != 0;
    }

    /** Whether decoding applies {@link SpaceCleanup} (Hugging Face's clean_up_tokenization_spaces). */
    boolean cleansUpSpaces() {
        return (settings & Settings.CLEAN_UP_SPACES) != 0;
    }

    /** Settings bits, in a holder because enum constants cannot use the enum's own static fields. */
    private static final class Settings {
        static final int IGNORE_MERGES = 1;
        static final int ADD_BOS = 2;
        static final int CLEAN_UP_SPACES = 4;
    }

    /** The splitter sequences, in a holder so the enum constants above can refer to them. */
    private static final class Splitters {
        static final List<WordSplitter> DEFAULT = List.of(
                new CollapsedRegexSplitter("[\\p{P}\\$\\+<=>\\^~\\|]+"),
                Gpt2WordSplitter.INSTANCE,
                new CollapsedRegexSplitter("\\p{N}+"),
                new CollapsedRegexSplitter("[0-9][0-9][0-9]"));
        static final List<WordSplitter> LLAMA3 = List.of(Llama3WordSplitter.LLAMA3);
        static final List<WordSplitter> QWEN2 = List.of(Llama3WordSplitter.QWEN2);
        static final List<WordSplitter> GPT2 = List.of(Gpt2WordSplitter.INSTANCE);
        static final List<WordSplitter> STARCODER = List.of(
                new CollapsedRegexSplitter("\\p{N}"), Gpt2WordSplitter.INSTANCE);
    }
}
