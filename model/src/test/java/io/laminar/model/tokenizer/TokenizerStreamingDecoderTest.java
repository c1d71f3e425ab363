package io.laminar.model.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Streaming decode: held-back partial characters, U+FFFD for broken bytes, same text as decode. */
class TokenizerStreamingDecoderTest {

    @Test
    void emojiSplitAcrossByteFallbackTokensComesOutWhole() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        int[] ids = spm.encode("🦙", false, false); // "▁" then <0xF0><0x9F><0xA6><0x99>
        assertEquals(5, ids.length);
        List<String> pieces = stream(StreamingDecoder.forSequence(spm), ids);
        assertEquals(List.of("", "", "", "", "🦙", ""), pieces);
    }

    @Test
    void cjkSplitAcrossByteLevelTokensComesOutWhole() {
        Tokenizer gpt2 = VocabFixtures.tokenizer("gpt-2");
        String text = "我想在apple工作天～";
        int[] ids = gpt2.encode(text, false, false);
        List<String> pieces = stream(StreamingDecoder.forSequence(gpt2), ids);
        assertEquals(text, String.join("", pieces));
        assertTrue(pieces.contains(""), "some token ends inside a character, so some step yields nothing");
        for (String piece : pieces) {
            assertFalse(piece.contains("\uFFFD"), "a partial character leaked: " + pieces);
        }
    }

    @Test
    void khmerByteTokensAreHeldUntilComplete() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        String text = "កាន់តែពិសេសអាចខលចេញ";
        int[] ids = spm.encode(text, false, false);
        long byteTokens = java.util.Arrays.stream(ids)
                .filter(id -> (spm.vocabulary().attributes(id) & TokenAttributes.BYTE) != 0).count();
        assertTrue(byteTokens > 0);
        List<String> pieces = stream(StreamingDecoder.forSequence(spm), ids);
        assertEquals(text, String.join("", pieces));
        pieces.forEach(p -> assertFalse(p.contains("\uFFFD"), p));
    }

    @Test
    void brokenByteSequencesBecomeReplacementCharacters() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        int f0 = spm.vocabulary().id("<0xF0>");
        int x41 = spm.vocabulary().id("<0x41>");
        int x80 = spm.vocabulary().id("<0x80>");
        int e6 = spm.vocabulary().id("<0xE6>");

        StreamingDecoder d = StreamingDecoder.continuing(spm);
        assertEquals("", d.accept(f0));
        assertEquals("\uFFFDA", d.accept(x41), "a lead byte followed by ASCII is broken");
        assertEquals("\uFFFD", d.accept(x80), "a stray continuation byte is broken at once");
        assertEquals("", d.accept(e6));
        assertEquals("\uFFFD", d.flush(), "an unfinished character at the end is broken");
        assertEquals("\uFFFDA\uFFFD\uFFFD", spm.decode(new int[] {f0, x41, x80, e6}));
    }

    @Test
    void sentencePieceLeadingSpaceFollowsLlamaCpp() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        int hello = 15043; // "▁Hello"
        assertEquals("Hello", spm.decode(new int[] {hello}), "the first token loses the prefix space");
        // llama_detokenize strips only the very first token, and BOS (rendered empty) is that token.
        assertEquals(" Hello", spm.decode(new int[] {spm.bos(), hello}));
        assertEquals(" Hello", StreamingDecoder.continuing(spm).accept(hello), "a continuation keeps its space");
        assertEquals("Hello", StreamingDecoder.forSequence(spm).accept(hello));
    }

    @Test
    void spaceCleanUpIsHeldUntilTheNextCharacter() {
        Tokenizer gpt2 = VocabFixtures.tokenizer("gpt-2");
        assertTrue(gpt2.decodeRules().cleanUpSpaces());
        int[] ids = gpt2.encode("Hello , world !", false, false);
        assertEquals("Hello, world!", gpt2.decode(ids));
        assertEquals("Hello, world!", String.join("", stream(StreamingDecoder.forSequence(gpt2), ids)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-spm", "llama-bpe", "qwen2", "gpt-2", "phi-3"})
    void streamingGivesExactlyWhatDecodeGives(String name) throws IOException {
        Tokenizer tokenizer = VocabFixtures.tokenizer(name);
        for (String input : VocabTestCases.load(name).inputs()) {
            int[] ids = tokenizer.encode(input, true, false);
            assertEquals(tokenizer.decode(ids), String.join("", stream(StreamingDecoder.forSequence(tokenizer), ids)));
            assertEquals(tokenizer.decode(ids, true),
                    String.join("", stream(StreamingDecoder.forSequence(tokenizer, true), ids)));
        }
    }

    /** Every accept() result, then flush(). */
    static List<String> stream(StreamingDecoder decoder, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(decoder.accept(id));
        }
        out.add(decoder.flush());
        return out;
    }
}
