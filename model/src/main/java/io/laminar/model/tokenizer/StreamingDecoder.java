package io.laminar.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes tokens one at a time as a model produces them, returning only text that is final: a UTF-8
 * character split across tokens (byte-fallback or byte-level tokens) is held back until its last
 * byte arrives, bytes that cannot form a character become U+FFFD, and where the tokenizer cleans up
 * spaces a space is held until the character after it is known. The concatenation of everything
 * returned, {@link #flush()} included, equals {@link Tokenizer#decode(int[], boolean)} of the same
 * ids for {@link #forSequence}; {@code decode} is in fact implemented with this class.
 *
 * <p>Not thread-safe: one decoder per stream.
 */
public final class StreamingDecoder {
    private static final byte[] NO_BYTES = new byte[0];

    private final Tokenizer tokenizer;
    private final boolean renderSpecial;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final SpaceCleanup.Stream cleanup;
    /** Bytes received but not yet decoded: at most the start of one UTF-8 character between calls. */
    private ByteBuffer pending = ByteBuffer.allocate(64);
    private CharBuffer chars = CharBuffer.allocate(64);
    private boolean stripLeadingSpace;

    private StreamingDecoder(Tokenizer tokenizer, boolean renderSpecial, boolean atStartOfText) {
        this.tokenizer = tokenizer;
        this.renderSpecial = renderSpecial;
        DecodeRules rules = tokenizer.decodeRules();
        this.cleanup = rules.cleanUpSpaces() ? new SpaceCleanup.Stream() : null;
        this.stripLeadingSpace = atStartOfText && rules.stripLeadingSpace();
    }

    /**
     * A decoder for a whole sequence from its first token, control tokens hidden: its output equals
     * {@code tokenizer.decode(ids)}, including SentencePiece's leading-space removal.
     */
    public static StreamingDecoder forSequence(Tokenizer tokenizer) {
        return forSequence(tokenizer, false);
    }

    /** As {@link #forSequence(Tokenizer)}, optionally showing control tokens as their text. */
    public static StreamingDecoder forSequence(Tokenizer tokenizer, boolean renderSpecial) {
        return new StreamingDecoder(tokenizer, renderSpecial, true);
    }

    /**
     * A decoder for tokens that continue a text already shown, such as a completion after its prompt:
     * the first token keeps its leading space, as llama.cpp's server streams it. Control tokens are hidden.
     * Space clean-up, where the tokenizer does it, starts afresh: it cannot see the end of the prompt.
     */
    public static StreamingDecoder continuing(Tokenizer tokenizer) {
        return continuing(tokenizer, false);
    }

    /** As {@link #continuing(Tokenizer)}, optionally showing control tokens as their text. */
    public static StreamingDecoder continuing(Tokenizer tokenizer, boolean renderSpecial) {
        return new StreamingDecoder(tokenizer, renderSpecial, false);
    }

    /** Feeds one token; returns the text completed by it, possibly empty. */
    public String accept(int id) {
        StringBuilder out = new StringBuilder();
        appendTo(id, out);
        return out.toString();
    }

    /** Returns what is still held back, as at the end of the text, and resets the held state. */
    public String flush() {
        StringBuilder out = new StringBuilder();
        flushTo(out);
        return out.toString();
    }

    void appendTo(int id, StringBuilder out) {
        byte[] bytes = renderSpecial || !tokenizer.isControl(id) ? tokenizer.tokenBytes(id) : NO_BYTES;
        int from = 0;
        if (stripLeadingSpace) {
            // Only the very first token is stripped, even if it rendered empty (llama.cpp's rule).
            stripLeadingSpace = false;
            if (bytes.length > 0 && bytes[0] == ' ') {
                from = 1;
            }
        }
        if (bytes.length > from) {
            ensurePending(bytes.length - from);
            pending.put(bytes, from, bytes.length - from);
            decodePending(false, out);
        }
    }

    void flushTo(StringBuilder out) {
        decodePending(true, out);
        chars.clear();
        utf8.flush(chars);
        emit(out);
        utf8.reset();
        if (cleanup != null) {
            cleanup.flush(out);
        }
    }

    private void decodePending(boolean endOfInput, StringBuilder out) {
        pending.flip();
        while (true) {
            chars.clear();
            var result = utf8.decode(pending, chars, endOfInput);
            emit(out);
            if (!result.isOverflow()) {
                break;
            }
        }
        pending.compact();
    }

    private void emit(StringBuilder out) {
        chars.flip();
        if (chars.hasRemaining()) {
            if (cleanup != null) {
                cleanup.accept(chars, out);
            } else {
                out.append(chars);
            }
        }
    }

    private void ensurePending(int extra) {
        if (pending.remaining() < extra) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + extra));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
    }
}
