package io.laminar.model.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.laminar.model.gguf.GgufMetadata;
import io.laminar.model.tokenizer.Tokenizer;
import jinjava.javax.el.CompositeELResolver;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * A model's chat template ({@code tokenizer.chat_template}, a Jinja template from the model's
 * tokenizer_config.json) rendered with Jinjava, configured to behave as Hugging Face's Jinja2
 * environment does: {@code trim_blocks} and {@code lstrip_blocks}, the globals
 * {@code raise_exception} and {@code strftime_now}, Python's {@code tojson} output and {@code str}
 * methods, and the variables {@code messages}, {@code add_generation_prompt}, {@code bos_token} and
 * {@code eos_token}.
 *
 * <p>A model without a template gets ChatML, as llama.cpp does; {@link #isFallback()} says so.
 * Instances are immutable and thread-safe.
 */
public final class ChatTemplate {
    public static final String GGUF_KEY = "tokenizer.chat_template";

    /** The template llama.cpp falls back to when a model has none: ChatML. */
    public static final String CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final System.Logger LOG = System.getLogger(ChatTemplate.class.getName());
    private static final Jinjava ENGINE = createEngine();
    /** Whether the ChatML fallback has been said, once per process. */
    private static final AtomicBoolean FALLBACK_SAID = new AtomicBoolean();

    private final String source;
    private final boolean fallback;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;

    private ChatTemplate(String source, boolean fallback, String bosToken, String eosToken, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.fallback = fallback;
        this.bosToken = Objects.requireNonNull(bosToken, "bosToken");
        this.eosToken = Objects.requireNonNull(eosToken, "eosToken");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The template of a GGUF model, with {@code bos_token}/{@code eos_token} taken from its
     * tokenizer; ChatML when the metadata has no template (a warning is logged once, at the first
     * chat rendered with it, so that a process that is never asked for a chat says nothing).
     */
    public static ChatTemplate fromGguf(GgufMetadata metadata, Tokenizer tokenizer) {
        String bos = tokenizer.bos() >= 0 ? tokenizer.tokenText(tokenizer.bos()) : "";
        String eos = tokenizer.eos() >= 0 ? tokenizer.tokenText(tokenizer.eos()) : "";
        var source = metadata.findString(GGUF_KEY);
        if (source.isPresent()) {
            return of(source.get(), bos, eos);
        }
        return new ChatTemplate(CHATML, true, bos, eos, Clock.systemDefaultZone());
    }

    /** A template from its source text. */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        return new ChatTemplate(source, false, bosToken, eosToken, Clock.systemDefaultZone());
    }

    /** The same template with {@code strftime_now} reading this clock (for reproducible renders). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, fallback, bosToken, eosToken, clock);
    }

    /**
     * Renders a conversation into the prompt text the model was trained on.
     *
     * @param addGenerationPrompt end with the header of an assistant turn, so the model writes the reply
     * @throws ChatTemplateException when the template raises (e.g. roles do not alternate) or fails
     */
    public String render(List<ChatTurn> messages, boolean addGenerationPrompt) {
        if (fallback && !FALLBACK_SAID.getAndSet(true)) {
            LOG.log(System.Logger.Level.WARNING, "the model''s metadata has no {0}: chats use ChatML, as llama.cpp does",
                    GGUF_KEY);
        }
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatTurn m : messages) {
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", m.content());
            turns.add(turn);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", turns);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        // Makes "strftime_now is defined" true, as it is in Hugging Face's environment.
        bindings.put("strftime_now", "strftime_now");
        bindings.put(TemplateFunctions.NOW_BINDING, ZonedDateTime.now(clock));

        RenderResult result;
        try {
            result = ENGINE.renderForResult(source, bindings);
        } catch (TemplateFunctions.RaisedByTemplate e) {
            throw raised(e);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + e.getMessage(), e);
        }
        List<TemplateError> fatal = result.getErrors().stream()
                .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
                .toList();
        for (TemplateError error : fatal) {
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateFunctions.RaisedByTemplate raised) {
                    throw raised(raised);
                }
            }
        }
        if (!fatal.isEmpty()) {
            throw new ChatTemplateException("chat template failed: " + fatal.stream()
                    .map(e -> "line " + e.getLineno() + ": " + e.getMessage())
                    .collect(Collectors.joining("; ")));
        }
        return result.getOutput();
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /** True when the model had no template and ChatML is used instead. */
    public boolean isFallback() {
        return fallback;
    }

    private static ChatTemplateException raised(TemplateFunctions.RaisedByTemplate e) {
        return new ChatTemplateException("chat template raised an exception: " + e.getMessage(), e);
    }

    private static Jinjava createEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build());
        var context = jinjava.getGlobalContext();
        context.registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.class, "raiseException", Object.class));
        context.registerFunction(new ELFunctionDefinition("", "strftime_now",
                TemplateFunctions.class, "strftimeNow", String.class));
        context.registerFilter(new PythonToJsonFilter());
        return jinjava;
    }

    /** {@code tojson} as Hugging Face defines it: Python's json.dumps, optionally indented. */
    private static final class PythonToJsonFilter implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, args.length > 0 ? Integer.parseInt(args[0]) : -1);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return PythonJson.dumps(var, indent instanceof Number n ? n.intValue() : -1);
        }
    }
}
