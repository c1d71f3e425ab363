package io.laminar.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special tokens out of input text before tokenization, as llama.cpp's
 * {@code tokenizer_st_partition}: for each special token, longest text first, every occurrence in
 * the remaining text ranges becomes that token. User-defined tokens are always cut out; control and
 * unknown tokens only when parsing special text. LSTRIP/RSTRIP tokens also swallow the whitespace
 * before/after them.
 */
final class SpecialTokenSplitter {
    private SpecialTokenSplitter() {
    }

    static List<TextFragment> split(Vocabulary vocabulary, String text, boolean parseSpecial) {
        List<TextFragment> fragments = new ArrayList<>();
        if (!text.isEmpty()) {
            fragments.add(TextFragment.text(0, text.length()));
        }
        for (int id : vocabulary.specialCandidatesLongestFirst()) {
            int attributes = vocabulary.attributes(id);
            if (!parseSpecial && TokenAttributes.isHiddenByDefault(attributes)) {
                continue;
            }
            String tokenText = vocabulary.text(id);
            List<TextFragment> next = null;
            for (int f = 0; f < fragments.size(); f++) {
                TextFragment fragment = fragments.get(f);
                int match = fragment.isToken() ? -1 : find(text, tokenText, fragment.start(), fragment.end());
                if (match < 0) {
                    if (next != null) {
                        next.add(fragment);
                    }
                    continue;
                }
                if (next == null) {
                    next = new ArrayList<>(fragments.subList(0, f));
                }
                cut(text, fragment, match, id, tokenText, attributes, next);
            }
            if (next != null) {
                fragments = next;
            }
        }
        return fragments;
    }

    /** Splits one text fragment at every occurrence of the token, the first being at {@code match}. */
    private static void cut(String text, TextFragment fragment, int match, int id, String tokenText, int attributes,
                            List<TextFragment> out) {
        int start = fragment.start();
        int end = fragment.end();
        while (match >= 0) {
            int leftEnd = match;
            if ((attributes & TokenAttributes.LSTRIP) != 0) {
                while (leftEnd > start && isSpace(text.charAt(leftEnd - 1))) {
                    leftEnd--;
                }
            }
            if (leftEnd > start) {
                out.add(TextFragment.text(start, leftEnd));
            }
            out.add(TextFragment.token(id));
            start = match + tokenText.length();
            if ((attributes & TokenAttributes.RSTRIP) != 0) {
                while (start < end && isSpace(text.charAt(start))) {
                    start++;
                }
            }
            match = find(text, tokenText, start, end);
        }
        if (start < end) {
            out.add(TextFragment.text(start, end));
        }
    }

    private static int find(String text, String token, int from, int to) {
        int i = text.indexOf(token, from);
        return i >= 0 && i + token.length() <= to ? i : -1;
    }

    /** C's isspace in the "C" locale, which llama.cpp uses to strip. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }
}
