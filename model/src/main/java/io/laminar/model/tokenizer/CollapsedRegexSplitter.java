package io.laminar.model.tokenizer;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pre-tokenizer regex that has no hand-coded splitter, run the way llama.cpp runs it: on the
 * collapsed text (one char per code point, non-ASCII replaced by a class stand-in, see
 * {@link CodepointClass#collapsed}), with each {@code \p{..}} class rewritten to "its stand-in plus
 * its ASCII members". Matches and the gaps between them both become words; lookarounds see only the
 * current segment (opaque region bounds), as llama.cpp iterates each segment on its own.
 *
 * <p>Only regexes written in ASCII are supported, which covers every pre-tokenizer that needs one.
 */
final class CollapsedRegexSplitter implements WordSplitter {
    /** ASCII members of each class, as llama.cpp lists them (its symbol list omits '~'; kept so). */
    private static final Map<String, String> CLASSES = Map.of(
            "\\p{N}", CodepointClass.COLLAPSED_NUMBER + "0-9",
            "\\p{L}", CodepointClass.COLLAPSED_LETTER + "A-Za-z",
            "\\p{P}", CodepointClass.COLLAPSED_PUNCTUATION + "!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
            "\\p{M}", String.valueOf(CodepointClass.COLLAPSED_MARK),
            "\\p{S}", CodepointClass.COLLAPSED_SYMBOL + "\\$\\+<->\\^`\\|");

    private final String regex;
    private final Pattern pattern;

    CollapsedRegexSplitter(String regex) {
        this.regex = regex;
        this.pattern = Pattern.compile(collapse(regex));
    }

    @Override
    public IntList split(CodepointText text, IntList segments) {
        IntList out = new IntList(segments.size() * 4);
        Matcher m = pattern.matcher(text.collapsed());
        int start = 0;
        for (int s = 0; s < segments.size(); s++) {
            int end = start + segments.get(s);
            m.region(start, end);
            int covered = start;
            while (m.find()) {
                if (m.start() > covered) {
                    out.add(m.start() - covered);
                }
                if (m.end() > m.start()) {
                    out.add(m.end() - m.start());
                }
                covered = m.end();
            }
            if (covered < end) {
                out.add(end - covered);
            }
            start = end;
        }
        return out;
    }

    @Override
    public String toString() {
        return "regex " + regex;
    }

    /** Rewrites {@code \p{X}} into a bracketed class (or its members, inside brackets). */
    static String collapse(String regex) {
        StringBuilder out = new StringBuilder();
        boolean insideBrackets = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c > 127) {
                throw new IllegalArgumentException("pre-tokenizer regex with non-ASCII characters is not supported: " + regex);
            }
            boolean escaped = i > 0 && regex.charAt(i - 1) == '\\';
            if (c == '[' && !escaped) {
                insideBrackets = true;
            } else if (c == ']' && insideBrackets && !escaped) {
                insideBrackets = false;
            } else if (c == '\\' && regex.startsWith("\\p{", i)) {
                int close = regex.indexOf('}', i);
                String members = close < 0 ? null : CLASSES.get(regex.substring(i, close + 1));
                if (members != null) {
                    out.append(insideBrackets ? members : "[" + members + "]");
                    i = close;
                    continue;
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
