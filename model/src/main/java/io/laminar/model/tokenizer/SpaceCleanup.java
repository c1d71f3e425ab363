package io.laminar.model.tokenizer;

/**
 * Hugging Face's {@code clean_up_tokenization_spaces}, as llama.cpp's detokenizer applies it: three
 * passes over the text that remove a space before {@code ? ! . ,}, around a lone apostrophe
 * ({@code " ' "} becomes {@code "'"}), and before the contractions {@code 's 'm 're 've}.
 *
 * <p>{@link #apply} runs the passes over a whole text. {@link Stream} gives the same result fed one
 * piece at a time: each pass only looks a few characters ahead of a space, so a stream holds back at
 * most " 'r" per pass until the following character decides it.
 */
public final class SpaceCleanup {
    private SpaceCleanup() {
    }

    /** The three passes over a whole text, written as llama.cpp's {@code detokenize} does them. */
    public static String apply(String text) {
        char[] t = text.toCharArray();
        int total = t.length;

        // Pass 1: " ?", " !", " .", " ," lose the space.
        int n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            char x = t[i];
            if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) {
                total--;
            }
            t[total++] = x;
        }

        // Pass 2: " ' " becomes "'". The space after is blanked so it cannot start another match.
        n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            char x = t[i];
            if (x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' ') {
                total--;
                t[++i] = '\0';
            }
            t[total++] = x;
        }

        // Pass 3: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
        n = total;
        total = n > 0 ? 1 : 0;
        for (int i = 1; i < n; i++) {
            char x = t[i];
            if (t[i - 1] == ' ' && x == '\'' && i + 1 < n) {
                char x1 = t[i + 1];
                if (x1 == 's' || x1 == 'm') {
                    total--;
                } else if ((x1 == 'r' || x1 == 'v') && i + 2 < n && t[i + 2] == 'e') {
                    total--;
                }
            }
            t[total++] = x;
        }
        return new String(t, 0, total);
    }

    /** The same passes, applied incrementally. Not thread-safe. */
    public static final class Stream {
        private final PunctuationPass punctuation = new PunctuationPass();
        private final LoneApostrophePass loneApostrophe = new LoneApostrophePass();
        private final ContractionPass contraction = new ContractionPass();

        /** Feeds text; appends to {@code out} what no later character can change any more. */
        public void accept(CharSequence text, StringBuilder out) {
            for (int i = 0; i < text.length(); i++) {
                punctuation.accept(text.charAt(i), out);
            }
        }

        /** Appends what is held back, as at the end of the text, and starts over. */
        public void flush(StringBuilder out) {
            punctuation.flush(out);
            loneApostrophe.flush(out);
            contraction.flush(out);
        }

        /** Pass 1: holds a space until the next character shows whether it is dropped. */
        private final class PunctuationPass {
            private boolean heldSpace;

            void accept(char c, StringBuilder out) {
                if (heldSpace) {
                    heldSpace = false;
                    if (c != '?' && c != '!' && c != '.' && c != ',') {
                        loneApostrophe.accept(' ', out);
                    }
                }
                if (c == ' ') {
                    heldSpace = true;
                } else {
                    loneApostrophe.accept(c, out);
                }
            }

            void flush(StringBuilder out) {
                if (heldSpace) {
                    heldSpace = false;
                    loneApostrophe.accept(' ', out);
                }
            }
        }

        /** Pass 2: holds " " or " '" until the next character. */
        private final class LoneApostrophePass {
            private int held; // 0: nothing, 1: " ", 2: " '"

            void accept(char c, StringBuilder out) {
                switch (held) {
                    case 1 -> {
                        if (c == '\'') {
                            held = 2;
                        } else if (c == ' ') {
                            contraction.accept(' ', out);
                        } else {
                            held = 0;
                            contraction.accept(' ', out);
                            contraction.accept(c, out);
                        }
                    }
                    case 2 -> {
                        held = 0;
                        if (c == ' ') {
                            contraction.accept('\'', out); // both spaces go
                        } else {
                            contraction.accept(' ', out);
                            contraction.accept('\'', out);
                            accept(c, out);
                        }
                    }
                    default -> {
                        if (c == ' ') {
                            held = 1;
                        } else {
                            contraction.accept(c, out);
                        }
                    }
                }
            }

            void flush(StringBuilder out) {
                if (held >= 1) {
                    contraction.accept(' ', out);
                }
                if (held == 2) {
                    contraction.accept('\'', out);
                }
                held = 0;
            }
        }

        /** Pass 3: holds " ", " '", " 'r" or " 'v" until the next character. */
        private static final class ContractionPass {
            private final StringBuilder held = new StringBuilder(3);

            void accept(char c, StringBuilder out) {
                switch (held.length()) {
                    case 1 -> {
                        if (c == '\'') {
                            held.append(c);
                        } else if (c == ' ') {
                            out.append(' ');
                        } else {
                            held.setLength(0);
                            out.append(' ').append(c);
                        }
                    }
                    case 2 -> {
                        if (c == 's' || c == 'm') {
                            held.setLength(0);
                            out.append('\'').append(c);
                        } else if (c == 'r' || c == 'v') {
                            held.append(c);
                        } else {
                            out.append(held);
                            held.setLength(0);
                            accept(c, out);
                        }
                    }
                    case 3 -> {
                        if (c == 'e') {
                            out.append(held, 1, 3).append(c);
                            held.setLength(0);
                        } else {
                            out.append(held);
                            held.setLength(0);
                            accept(c, out);
                        }
                    }
                    default -> {
                        if (c == ' ') {
                            held.append(c);
                        } else {
                            out.append(c);
                        }
                    }
                }
            }

            void flush(StringBuilder out) {
                out.append(held);
                held.setLength(0);
            }
        }
    }
}
