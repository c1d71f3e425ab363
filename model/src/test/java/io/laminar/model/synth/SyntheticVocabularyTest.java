package io.laminar.model.synth;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticVocabularyTest {
    @Test
    void laysOutSpecialsBytesThenWords() {
        SyntheticVocabulary v = SyntheticVocabulary.of(1024);
        assertEquals(1024, v.size());
        assertEquals("<unk>", v.token(0));
        assertEquals("<s>", v.token(1));
        assertEquals("</s>", v.token(2));
        assertEquals("<0x00>", v.token(3));
        assertEquals("<0xFF>", v.token(258));
        assertEquals("\u2581", v.token(259));
        assertEquals("\u2581a", v.token(260));
        assertEquals("\u2581z", v.token(285));
        assertEquals("\u2581aa", v.token(286));
        assertEquals("\u2581zz", v.token(286 + 675));
        assertEquals("\u2581aaa", v.token(286 + 676));
        int[] types = v.tokenTypes();
        assertEquals(SyntheticVocabulary.TYPE_UNKNOWN, types[0]);
        assertEquals(SyntheticVocabulary.TYPE_CONTROL, types[1]);
        assertEquals(SyntheticVocabulary.TYPE_BYTE, types[100]);
        assertEquals(SyntheticVocabulary.TYPE_NORMAL, types[500]);
        assertEquals(-241f, v.scores()[500]);
    }

    @Test
    void wordsAreUniqueAndPrefixClosed() {
        SyntheticVocabulary v = SyntheticVocabulary.of(32000);
        Set<String> words = new HashSet<>();
        for (int id = SyntheticVocabulary.FIRST_WORD_ID; id < v.size(); id++) {
            assertTrue(words.add(v.token(id)), v.token(id));
        }
        for (String w : words) {
            for (int len = 1; len < w.length(); len++) {
                assertTrue(words.contains(w.substring(0, len)), "prefix of " + w);
            }
            assertEquals(-1, w.indexOf(SyntheticVocabulary.SPACE, 1), w);
        }
    }

    @Test
    void generatedTextParsesBackToIds() {
        SyntheticVocabulary v = SyntheticVocabulary.of(1024);
        int[] ids = {259, 260, 300, 999, 259, 259, 1023};
        String text = v.decode(ids);
        assertTrue(text.startsWith(" "));
        assertArrayEquals(ids, v.parse(text));
        assertArrayEquals(new int[] {260, 261, 286}, v.encode("a b aa"));
        assertArrayEquals(new int[0], v.parse(""));
        assertEquals("", v.text(1));
    }

    @Test
    void rejectsWhatIsNotItsText() {
        SyntheticVocabulary v = SyntheticVocabulary.of(300);
        assertThrows(IllegalArgumentException.class, () -> v.parse("a"));
        assertThrows(IllegalArgumentException.class, () -> v.parse(" zzz"));
        assertThrows(IllegalArgumentException.class, () -> v.parse(" A"));
        assertThrows(IllegalArgumentException.class, () -> v.text(50));
        assertThrows(IllegalArgumentException.class, () -> SyntheticVocabulary.of(285));
        assertFalse(v.isWord(258));
    }
}
