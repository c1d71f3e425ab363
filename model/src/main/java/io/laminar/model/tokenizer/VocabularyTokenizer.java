package io.laminar.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * What SentencePiece and byte-level BPE tokenizers share: special-token handling, BOS/EOS, the
 * per-token byte pieces used for decoding, and the accessors of {@link Tokenizer}. Subclasses only
 * encode plain text and say how a normal token's text becomes bytes.
 */
abstract sealed class VocabularyTokenizer implements Tokenizer permits SentencePieceTokenizer, BytePairTokenizer {
    protected final Vocabulary vocabulary;
    protected final TokenizerSettings settings;
    /** Bytes of every token with special tokens rendered, computed once (llama.cpp's piece cache). */
    private final byte[][] pieces;

    /**
     * @param normalTokenBytes how a NORMAL token's text becomes bytes (U+2581 or byte-level
     *                         characters decoded); the other kinds are common to all models
     */
    VocabularyTokenizer(Vocabulary vocabulary, TokenizerSettings settings, Function<String, byte[]> normalTokenBytes) {
        if (settings.addBos() && vocabulary.role(SpecialTokenRole.BOS) == Vocabulary.NO_TOKEN) {
            throw new UnsupportedTokenizerException(TokenizerSettings.ADD_BOS_KEY + " is true, but "
                    + SpecialTokenRole.BOS.ggufKey() + " is not set");
        }
        if (settings.addEos() && vocabulary.role(SpecialTokenRole.EOS) == Vocabulary.NO_TOKEN) {
            throw new UnsupportedTokenizerException(TokenizerSettings.ADD_EOS_KEY + " is true, but "
                    + SpecialTokenRole.EOS.ggufKey() + " is not set");
        }
        this.vocabulary = vocabulary;
        this.settings = settings;
        this.pieces = new byte[vocabulary.size()][];
        for (int id = 0; id < pieces.length; id++) {
            pieces[id] = computeTokenBytes(vocabulary, id, normalTokenBytes);
        }
    }

    /**
     * Encodes one text range that contains no special token.
     *
     * @param afterSpecial the range starts the input or follows a special token
     */
    abstract void encodeText(String text, boolean afterSpecial, IntList out);

    @Override
    public int[] encode(String input, boolean addSpecial, boolean parseSpecial) {
        // llama.cpp sees bytes and turns invalid UTF-8 into U+FFFD; a Java string's equivalent is a lone surrogate.
        String text = CodepointText.withoutLoneSurrogates(input);
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addSpecial && settings.addBos()) {
            out.add(bos());
        }
        List<TextFragment> fragments = SpecialTokenSplitter.split(vocabulary, text, parseSpecial);
        boolean afterSpecial = true;
        for (TextFragment f : fragments) {
            if (f.isToken()) {
                out.add(f.token());
                afterSpecial = true;
            } else {
                encodeText(text.substring(f.start(), f.end()), afterSpecial, out);
                afterSpecial = false;
            }
        }
        if (addSpecial && settings.addEos()) {
            out.add(eos());
        }
        return out.toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        return pieces[id];
    }

    private static byte[] computeTokenBytes(Vocabulary vocabulary, int id, Function<String, byte[]> normalTokenBytes) {
        int attributes = vocabulary.attributes(id);
        String text = vocabulary.text(id);
        if ((attributes & (TokenAttributes.UNKNOWN | TokenAttributes.CONTROL | TokenAttributes.USER_DEFINED)) != 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        if ((attributes & TokenAttributes.NORMAL) != 0) {
            return normalTokenBytes.apply(text);
        }
        if ((attributes & TokenAttributes.BYTE) != 0 && text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            return new byte[] {(byte) Integer.parseInt(text, 3, 5, 16)};
        }
        return new byte[0]; // unused or undefined tokens render as nothing
    }

    @Override
    public String tokenText(int id) {
        return vocabulary.text(id);
    }

    @Override
    public boolean isControl(int id) {
        return TokenAttributes.isHiddenByDefault(vocabulary.attributes(id));
    }

    @Override
    public int vocabSize() {
        return vocabulary.size();
    }

    @Override
    public int bos() {
        return vocabulary.role(SpecialTokenRole.BOS);
    }

    @Override
    public int eos() {
        return vocabulary.role(SpecialTokenRole.EOS);
    }

    @Override
    public int eot() {
        return vocabulary.role(SpecialTokenRole.EOT);
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return vocabulary.isEndOfGeneration(id);
    }

    @Override
    public boolean addBos() {
        return settings.addBos();
    }

    @Override
    public boolean addEos() {
        return settings.addEos();
    }

    @Override
    public DecodeRules decodeRules() {
        return new DecodeRules(settings.addSpacePrefix(), settings.cleanUpSpaces());
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }
}
