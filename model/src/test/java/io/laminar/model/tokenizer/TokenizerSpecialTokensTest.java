package io.laminar.model.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special ids, BOS defaults, parsing of special tokens in text, and end-of-generation tokens. */
class TokenizerSpecialTokensTest {

    @Test
    void sentencePieceAddsBosAndAPrefixSpace() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        assertEquals(1, spm.bos());
        assertEquals(2, spm.eos());
        assertEquals(-1, spm.eot());
        assertTrue(spm.addBos());
        assertFalse(spm.addEos());
        assertArrayEquals(new int[] {1, 15043, 3186}, spm.encode("Hello world", true, false));
        assertTrue(spm.isEndOfGeneration(2));
        assertFalse(spm.isEndOfGeneration(1));
    }

    @Test
    void llama3AddsBosByDefaultAndKnowsItsEndOfTurnTokens() {
        Tokenizer llama3 = VocabFixtures.tokenizer("llama-bpe");
        assertEquals(128000, llama3.bos());
        assertEquals(128001, llama3.eos());
        assertEquals("<|eot_id|>", llama3.tokenText(llama3.eot()));
        assertTrue(llama3.addBos(), "llama-bpe has no add_bos_token key; llama.cpp's default for llama3 is true");
        assertArrayEquals(new int[] {128000, 9906}, llama3.encode("Hello", true, false));
        assertTrue(llama3.isEndOfGeneration(llama3.eos()));
        assertTrue(llama3.isEndOfGeneration(llama3.vocabulary().id("<|eot_id|>")));
        assertEquals(-1, llama3.vocabulary().id("<|eom_id|>"), "a Llama 3.0 vocabulary; <|eom_id|> came with 3.1");
        assertFalse(llama3.isEndOfGeneration(llama3.bos()));
        assertFalse(llama3.isEndOfGeneration(9906));
    }

    @Test
    void parseSpecialTurnsControlTokenTextIntoTokens() {
        Tokenizer llama3 = VocabFixtures.tokenizer("llama-bpe");
        String prompt = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
        int[] parsed = llama3.encode(prompt, false, true);
        Vocabulary v = llama3.vocabulary();
        assertEquals(v.id("<|start_header_id|>"), parsed[0]);
        assertEquals(v.id("<|end_header_id|>"), parsed[2]);
        assertEquals(v.id("<|eot_id|>"), parsed[parsed.length - 1]);
        assertEquals(prompt, llama3.decode(parsed, true));
        assertEquals("user\n\nHi", llama3.decode(parsed), "control tokens are hidden by default");

        int[] plain = llama3.encode(prompt, false, false);
        for (int id : plain) {
            assertFalse(llama3.isControl(id), "without parseSpecial, " + id + " must be ordinary text");
        }
        assertEquals(prompt, llama3.decode(plain));
    }

    @Test
    void qwen2HasNoDefaultBosAndEndsTurnsWithImEnd() {
        Tokenizer qwen = VocabFixtures.tokenizer("qwen2");
        assertFalse(qwen.addBos());
        assertEquals("<|im_end|>", qwen.tokenText(qwen.eot()));
        assertEquals("<|endoftext|>", qwen.tokenText(qwen.eos()));
        assertTrue(qwen.isEndOfGeneration(qwen.eot()));
        assertTrue(qwen.isEndOfGeneration(qwen.eos()));
        int[] ids = qwen.encode("<|im_start|>user\nHi<|im_end|>\n", true, true);
        assertEquals(qwen.vocabulary().id("<|im_start|>"), ids[0]);
        assertEquals("<|im_start|>user\nHi<|im_end|>\n", qwen.decode(ids, true));
    }

    @Test
    void phi3SpecialTokensSwallowTheWhitespaceAfterThem() {
        Tokenizer phi3 = VocabFixtures.tokenizer("phi-3");
        Vocabulary v = phi3.vocabulary();
        int user = v.id("<|user|>");
        assertTrue((v.attributes(user) & TokenAttributes.RSTRIP) != 0);
        int[] ids = phi3.encode("<|user|>\nHi", false, true);
        assertEquals(user, ids[0]);
        // The newline is stripped and, after a special token, SentencePiece prefixes a space: "▁Hi".
        assertArrayEquals(phi3.encode("Hi", false, false), java.util.Arrays.copyOfRange(ids, 1, ids.length));
        assertEquals("<|end|>", phi3.tokenText(phi3.eot()));
        assertTrue(phi3.isEndOfGeneration(phi3.eot()));
        assertTrue(phi3.isEndOfGeneration(phi3.eos()));
    }

    @Test
    void tokenBytesDecodeByteTokensAndEscapes() {
        Tokenizer spm = VocabFixtures.tokenizer("llama-spm");
        assertArrayEquals(new byte[] {(byte) 0xF0}, spm.tokenBytes(spm.vocabulary().id("<0xF0>")));
        assertArrayEquals(" Hello".getBytes(), spm.tokenBytes(15043));
        assertArrayEquals("<s>".getBytes(), spm.tokenBytes(1));
        Tokenizer gpt2 = VocabFixtures.tokenizer("gpt-2");
        assertEquals("ĠHello", gpt2.tokenText(18435));
        assertArrayEquals(" Hello".getBytes(), gpt2.tokenBytes(18435));
    }
}
