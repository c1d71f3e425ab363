package io.laminar.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;

import java.time.ZonedDateTime;
import java.util.Locale;

/**
 * The global functions Hugging Face gives chat templates, as static methods for Jinjava:
 * {@code raise_exception(message)} and {@code strftime_now(format)}.
 */
final class TemplateFunctions {
    /** Binding through which a render passes its clock to {@link #strftimeNow}. */
    static final String NOW_BINDING = "__laminar_now__";

    private TemplateFunctions() {
    }

    /** Thrown by {@code raise_exception}; carries the template's own message. */
    static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    public static Object raiseException(Object message) {
        throw new RaisedByTemplate(String.valueOf(message));
    }

    /** Formats the render's current time with a Python strftime format, e.g. {@code "%d %b %Y"}. */
    public static String strftimeNow(String format) {
        Object now = JinjavaInterpreter.getCurrentMaybe()
                .map(i -> i.getContext().get(NOW_BINDING))
                .orElse(null);
        ZonedDateTime time = now instanceof ZonedDateTime t ? t : ZonedDateTime.now();
        return StrftimeFormatter.format(time, format, Locale.ENGLISH);
    }
}
