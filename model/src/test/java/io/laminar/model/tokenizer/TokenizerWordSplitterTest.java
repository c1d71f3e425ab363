package io.laminar.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hand-coded pre-tokenizers agree with their regexes run by a real regex engine on llama.cpp's
 * collapsed text, on random text mixing every class the regexes distinguish. Qwen2's splitter is
 * the Llama 3 code with one-digit numbers; llama.cpp runs Qwen2's regex with std::regex, so this is
 * what makes the two equivalent.
 */
class TokenizerWordSplitterTest {
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Letters, digits, spaces, newlines, punctuation, apostrophes, non-ASCII letters/digits/marks/spaces, emoji. */
    private static final int[] ALPHABET = {
            'a', 'B', 's', 'S', 't', 'r', 'e', 'v', 'l', 'd', 'm', '1', '7', ' ', ' ', '\n', '\r', '\t', '\'', '?', '.',
            '-', '$', '~', 0xE9, 0x0439, 0x4E2D, 0x0663, 0xBD, 0x0301, 0x17B6, 0x3000, 0x85, 0xA0, 0x1F999, 0x2581};

    @Test
    void gpt2MatchesItsRegex() {
        compare(Gpt2WordSplitter.INSTANCE, new CollapsedRegexSplitter(GPT2));
    }

    @Test
    void llama3MatchesItsRegex() {
        compare(Llama3WordSplitter.LLAMA3, new CollapsedRegexSplitter(LLAMA3));
    }

    @Test
    void qwen2MatchesItsRegex() {
        compare(Llama3WordSplitter.QWEN2, new CollapsedRegexSplitter(QWEN2));
    }

    @Test
    void llama3KeepsUpToThreeDigitsAndQwen2One() {
        assertEquals(List.of("123", "456", "7", " abc"), words(PreTokenizer.LLAMA3, "1234567 abc"));
        assertEquals(List.of("1", "2", "3", "4", " abc"), words(PreTokenizer.QWEN2, "1234 abc"));
        assertEquals(List.of("Hello", ",", " y", "'all", "!"), words(PreTokenizer.LLAMA3, "Hello, y'all!"));
        assertEquals(List.of("1", "2", " abc", "'s"), words(PreTokenizer.SMOLLM, "12 abc's"));
    }

    private static void compare(WordSplitter handCoded, WordSplitter regex) {
        Random random = new Random(7);
        for (int trial = 0; trial < 20_000; trial++) {
            StringBuilder s = new StringBuilder();
            int n = random.nextInt(14);
            for (int i = 0; i < n; i++) {
                s.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
            }
            CodepointText text = new CodepointText(s.toString());
            IntList all = new IntList(1);
            if (text.length() > 0) {
                all.add(text.length());
            }
            assertEquals(lengths(regex.split(text, all)), lengths(handCoded.split(text, all)),
                    () -> "text " + TokenizerVocabTest.quote(s.toString()) + " with " + regex);
        }
    }

    private static List<Integer> lengths(IntList l) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            out.add(l.get(i));
        }
        return out;
    }

    private static List<String> words(PreTokenizer pre, String s) {
        CodepointText text = new CodepointText(s);
        IntList lengths = pre.split(text);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < lengths.size(); i++) {
            out.add(new String(text.codepoints(), start, lengths.get(i)));
            start += lengths.get(i);
        }
        return out;
    }
}
