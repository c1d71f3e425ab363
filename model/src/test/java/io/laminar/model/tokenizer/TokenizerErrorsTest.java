package io.laminar.model.tokenizer;

import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.gguf.GgufValue;
import io.laminar.model.gguf.GgufValueType;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Metadata this implementation cannot tokenize faithfully is refused with a message naming key and value. */
class TokenizerErrorsTest {

    @Test
    void unsupportedTokenizerModelIsNamed() {
        var e = assertThrows(UnsupportedTokenizerException.class,
                () -> Tokenizers.fromGguf(metadata("bert", null)));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model='bert'"), e.getMessage());
        assertTrue(e.getMessage().contains("'llama'") && e.getMessage().contains("'gpt2'"), e.getMessage());
    }

    @Test
    void unsupportedPreTokenizerIsNamed() {
        var e = assertThrows(UnsupportedTokenizerException.class,
                () -> Tokenizers.fromGguf(metadata("gpt2", "deepseek-coder")));
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre='deepseek-coder'"), e.getMessage());
        assertTrue(e.getMessage().contains("'qwen2'"), e.getMessage());
    }

    @Test
    void missingTokenizerIsNamed() {
        var e = assertThrows(UnsupportedTokenizerException.class,
                () -> Tokenizers.fromGguf(new GgufMetadata(Map.of())));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
    }

    @Test
    void bpeWithoutMergesIsRefused() {
        var e = assertThrows(UnsupportedTokenizerException.class,
                () -> Tokenizers.fromGguf(metadata("gpt2", "gpt-2")));
        assertTrue(e.getMessage().contains("tokenizer.ggml.merges"), e.getMessage());
    }

    @Test
    void tinySentencePieceVocabularyFromMetadata() {
        Map<String, GgufValue> kv = new LinkedHashMap<>(metadata("llama", null).asMap());
        kv.put(Vocabulary.TOKENS_KEY, new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING,
                new String[] {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab", "▁ab"}));
        kv.put(Vocabulary.SCORES_KEY, new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32,
                new float[] {0, 0, 0, -5, -4, -4, -2, -3, -1}));
        kv.put(Vocabulary.TOKEN_TYPE_KEY, new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32,
                new long[] {2, 3, 3, 1, 1, 1, 1, 1, 1}));
        Tokenizer t = Tokenizers.fromGguf(new GgufMetadata(kv));
        // "▁a" (-2) merges before "ab" (-3), then "▁a"+"b" is "▁ab" (-1).
        assertEquals(8, t.encode("ab", false, false)[0]);
        assertEquals(1, t.encode("ab", false, false).length);
        // No byte tokens: unknown characters fall back to <unk>.
        assertEquals(0, t.encode("c", false, false)[1]);
    }

    private static GgufMetadata metadata(String model, String pre) {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put(TokenizerModel.GGUF_KEY, new GgufValue(GgufValueType.STRING, null, model));
        if (pre != null) {
            kv.put(PreTokenizer.GGUF_KEY, new GgufValue(GgufValueType.STRING, null, pre));
        }
        kv.put(Vocabulary.TOKENS_KEY, new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, new String[] {"a", "b"}));
        return new GgufMetadata(kv);
    }
}
