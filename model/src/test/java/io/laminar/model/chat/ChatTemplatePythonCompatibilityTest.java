package io.laminar.model.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.laminar.model.chat.ChatTurn.user;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Python-isms Hugging Face templates use work under Jinjava. */
class ChatTemplatePythonCompatibilityTest {

    private static String render(String template, String content) {
        return ChatTemplate.of(template, "<s>", "</s>").render(List.of(user(content)), false);
    }

    @Test
    void stringMethods() {
        String c = "{% set c = messages[0]['content'] %}";
        assertEquals("x y", render(c + "{{ c.strip() }}", "  x y \n"));
        assertEquals("xy", render(c + "{{ c.strip('-') }}", "--xy-"));
        assertEquals("x y \n", render(c + "{{ c.lstrip() }}", "  x y \n"));
        assertEquals("yes|no", render(c + "{{ 'yes' if c.startswith('<tool') else 'no' }}|"
                + "{{ 'yes' if c.endswith(('x', 'y')) else 'no' }}", "<tool_response>"));
        assertEquals("a|b|c", render(c + "{{ c.split(',') | join('|') }}", "a,b,c"));
        assertEquals("a|b", render(c + "{{ c.split() | join('|') }}", "  a \t b "));
        assertEquals("HELLO hello Hello World", render(c + "{{ c.upper() }} {{ c.lower() }} {{ (c + ' world').title() }}", "hello"));
        assertEquals("a-b", render(c + "{{ c.replace(' ', '-') }}", "a b"));
    }

    @Test
    void toJsonWritesAsPythonDoes() {
        String t = "{% set d = {'name': 'get_weather', 'arguments': {'city': 'Zürich', 'days': 3, 'ok': true}} %}";
        assertEquals("{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"days\": 3, \"ok\": true}}",
                render(t + "{{ d | tojson }}", ""));
        assertEquals("{\n    \"name\": \"get_weather\",\n    \"arguments\": {\n        \"city\": \"Zürich\",\n"
                        + "        \"days\": 3,\n        \"ok\": true\n    }\n}",
                render(t + "{{ d | tojson(indent=4) }}", ""));
        assertEquals("\"a\\\"b\\n\"", render("{{ messages[0]['content'] | tojson }}", "a\"b\n"));
    }

    @Test
    void namespaceLoopAndSlices() {
        String t = "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}"
                + "{{ ns.n }}|{{ messages[1:] | length }}|{% for m in messages %}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{% endfor %}";
        assertEquals("1|0|0truetrue", render(t, "x"));
    }

    @Test
    void dictGetWithDefault() {
        assertEquals("none|user", render("{{ messages[0].get('tool_calls', 'none') }}|{{ messages[0].get('role', '?') }}", "x"));
    }

    @Test
    void trimAndLstripBlocks() {
        assertEquals("A\n  B\nC", render("A\n  {% if true %}\n  B\n  {% endif %}\nC", ""));
    }
}
