package io.laminar.model.tokenizer;

/**
 * The Unicode classes the pre-tokenizer regexes ask about ({@code \p{L}}, {@code \p{N}}, {@code \s}
 * and friends), for one code point, following llama.cpp's unicode tables: general categories as
 * Unicode defines them, and whitespace as the Unicode White_Space property (which, unlike Java's
 * {@code Character.isWhitespace}, includes U+0085 and the no-break spaces and excludes U+001C..1F).
 */
final class CodepointClass {
    /** Stand-ins used when text is "collapsed" to one char per code point for a category regex. */
    static final char COLLAPSED_OTHER = '\u00D0';
    static final char COLLAPSED_NUMBER = '\u00D1';
    static final char COLLAPSED_LETTER = '\u00D2';
    static final char COLLAPSED_PUNCTUATION = '\u00D3';
    static final char COLLAPSED_MARK = '\u00D4';
    static final char COLLAPSED_SYMBOL = '\u00D5';
    /** Non-ASCII whitespace collapses to vertical tab, which every regex engine counts as {@code \s}. */
    static final char COLLAPSED_WHITESPACE = '\u000B';

    private static final int LETTER = 1;
    private static final int NUMBER = 2;
    private static final int WHITESPACE = 4;
    private static final int PUNCTUATION = 8;
    private static final int MARK = 16;
    private static final int SYMBOL = 32;

    /** Flags for the Basic Multilingual Plane, computed once; other planes are computed on demand. */
    private static final byte[] BMP_FLAGS = new byte[0x10000];

    static {
        for (int cp = 0; cp < BMP_FLAGS.length; cp++) {
            BMP_FLAGS[cp] = (byte) computeFlags(cp);
        }
    }

    private CodepointClass() {
    }

    static boolean isLetter(int cp) {
        return (flags(cp) & LETTER) != 0;
    }

    static boolean isNumber(int cp) {
        return (flags(cp) & NUMBER) != 0;
    }

    static boolean isWhitespace(int cp) {
        return (flags(cp) & WHITESPACE) != 0;
    }

    /** llama.cpp's collapsed stand-in: ASCII stays itself, everything else becomes its class. */
    static char collapsed(int cp) {
        if (cp < 128) {
            return (char) cp;
        }
        int f = flags(cp);
        if ((f & WHITESPACE) != 0) {
            return COLLAPSED_WHITESPACE;
        } else if ((f & NUMBER) != 0) {
            return COLLAPSED_NUMBER;
        } else if ((f & LETTER) != 0) {
            return COLLAPSED_LETTER;
        } else if ((f & PUNCTUATION) != 0) {
            return COLLAPSED_PUNCTUATION;
        } else if ((f & MARK) != 0) {
            return COLLAPSED_MARK;
        } else if ((f & SYMBOL) != 0) {
            return COLLAPSED_SYMBOL;
        }
        return COLLAPSED_OTHER;
    }

    private static int flags(int cp) {
        if (cp >= 0 && cp < BMP_FLAGS.length) {
            return BMP_FLAGS[cp];
        }
        return cp < 0 || cp > Character.MAX_CODE_POINT ? 0 : computeFlags(cp);
    }

    private static int computeFlags(int cp) {
        int f = switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                 Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL -> SYMBOL;
            default -> 0;
        };
        return isUnicodeWhiteSpace(cp) ? f | WHITESPACE : f;
    }

    /** The Unicode White_Space property (PropList.txt). */
    private static boolean isUnicodeWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }
}
