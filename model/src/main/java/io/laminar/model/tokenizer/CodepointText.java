package io.laminar.model.tokenizer;

/**
 * Text as an array of Unicode code points (unpaired surrogates become U+FFFD, as llama.cpp turns
 * invalid UTF-8 into U+FFFD), plus, on demand, llama.cpp's "collapsed" form: one char per code point,
 * ASCII kept and every other code point replaced by a stand-in for its class, so that ASCII-only
 * regexes with {@code \p{L}}-style classes can run on it.
 */
final class CodepointText {
    private final int[] codepoints;
    private String collapsed;

    CodepointText(String text) {
        int[] cps = text.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            if (Character.isSurrogate((char) cps[i]) && cps[i] <= 0xFFFF) {
                cps[i] = 0xFFFD;
            }
        }
        this.codepoints = cps;
    }

    /** The text with unpaired surrogates replaced by U+FFFD; the same instance when there are none. */
    static String withoutLoneSurrogates(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1));
                if (!paired) {
                    return text.codePoints()
                            .map(cp -> Character.isSurrogate((char) cp) && cp <= 0xFFFF ? 0xFFFD : cp)
                            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                            .toString();
                }
                i++;
            }
        }
        return text;
    }

    int length() {
        return codepoints.length;
    }

    int codepointAt(int index) {
        return codepoints[index];
    }

    int[] codepoints() {
        return codepoints;
    }

    String collapsed() {
        if (collapsed == null) {
            char[] c = new char[codepoints.length];
            for (int i = 0; i < c.length; i++) {
                c[i] = CodepointClass.collapsed(codepoints[i]);
            }
            collapsed = new String(c);
        }
        return collapsed;
    }
}
