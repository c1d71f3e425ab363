package io.laminar.model.chat;

import io.laminar.model.gguf.GgufFile;
import io.laminar.model.testing.TestData;
import io.laminar.model.testing.TestModels;
import io.laminar.model.tokenizer.Tokenizer;
import io.laminar.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static io.laminar.model.chat.ChatTurn.assistant;
import static io.laminar.model.chat.ChatTurn.system;
import static io.laminar.model.chat.ChatTurn.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real models' templates render exactly the prompts those models expect. */
class ChatTemplateTest {
    private static final Clock DEC_5_2024 = Clock.fixed(Instant.parse("2024-12-05T10:00:00Z"), ZoneOffset.UTC);
    private static final List<ChatTurn> SYSTEM_AND_USER =
            List.of(system("You are a helpful assistant."), user("What is 2+2?"));

    @Test
    void llama3() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.LLAMA_3, "<|begin_of_text|>", "<|end_of_text|>");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(SYSTEM_AND_USER, true));
        // "message['content'] | trim" binds tighter than "+", as in Jinja2.
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
                t.render(List.of(user("  Hi \n")), false));
    }

    @Test
    void llama3_2WithDateFromStrftimeNow() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.LLAMA_3_2, "<|begin_of_text|>", "<|eot_id|>")
                .withClock(DEC_5_2024);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 05 Dec 2024\n\n"
                        + "You are a helpful assistant.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                t.render(SYSTEM_AND_USER, true));
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: 05 Dec 2024\n\n<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>",
                t.render(List.of(user("Hi"), assistant("Hello!")), false));
    }

    @Test
    void qwen2_5() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.QWEN_2_5, "", "<|im_end|>");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
                t.render(SYSTEM_AND_USER, true));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                        + "<|im_start|>user\n<tool_response>\n42\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
                t.render(List.of(user("Hi"), assistant("Hello!"), new ChatTurn("tool", "42")), true));
    }

    @Test
    void smolLm2ChatMl() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.SMOLLM2, "<|im_start|>", "<|im_end|>");
        assertEquals("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                t.render(List.of(user("Hi")), true));
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
                t.render(SYSTEM_AND_USER, false));
    }

    @Test
    void mistralInstruct() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.MISTRAL_INSTRUCT, "<s>", "</s>");
        assertEquals("<s>[INST] Hello [/INST]Hi there!</s>[INST] How are you? [/INST]",
                t.render(List.of(user("Hello"), assistant("Hi there!"), user("How are you?")), true));
    }

    @Test
    void templateThatRaisesGivesItsMessage() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.MISTRAL_INSTRUCT, "<s>", "</s>");
        var e = assertThrows(ChatTemplateException.class, () -> t.render(SYSTEM_AND_USER, true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate user/assistant/user/assistant/..."),
                e.getMessage());
    }

    @Test
    void tinyLlamaZephyr() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.ZEPHYR, "<s>", "</s>");
        assertEquals("<|system|>\nYou are a friendly chatbot.</s>\n<|user|>\nHello!</s>\n<|assistant|>\n",
                t.render(List.of(system("You are a friendly chatbot."), user("Hello!")), true));
        assertEquals("<|user|>\nHello!</s>\n<|assistant|>\nHi.</s>\n",
                t.render(List.of(user("Hello!"), assistant("Hi.")), false));
    }

    @Test
    void phi3_5() {
        ChatTemplate t = ChatTemplate.of(HuggingFaceTemplates.PHI_3_5, "<s>", "<|endoftext|>");
        assertEquals("<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n",
                t.render(List.of(system("Be brief."), user("Hi")), true));
        assertEquals("<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|endoftext|>",
                t.render(List.of(user("Hi"), assistant("Hello")), false));
    }

    @Test
    void phi3TemplateFromItsGguf() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.require("vocab/ggml-vocab-phi-3.gguf"))) {
            Tokenizer tokenizer = Tokenizers.fromGguf(f.metadata());
            ChatTemplate t = ChatTemplate.fromGguf(f.metadata(), tokenizer);
            assertFalse(t.isFallback());
            assertEquals("<s><|user|>\nHello<|end|>\n<|assistant|>\nHi!<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n",
                    t.render(List.of(user("Hello"), assistant("Hi!"), user("Bye")), true));
        }
    }

    @Test
    void qwen2TemplateFromItsGguf() throws IOException {
        try (GgufFile f = GgufFile.open(TestData.require("vocab/ggml-vocab-qwen2.gguf"))) {
            ChatTemplate t = ChatTemplate.fromGguf(f.metadata(), Tokenizers.fromGguf(f.metadata()));
            assertEquals("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                    + "<|im_start|>assistant\n", t.render(List.of(user("Hi")), true));
        }
    }

    @Test
    void modelWithoutTemplateFallsBackToChatMl() throws IOException {
        // A synthetic model has no tokenizer.chat_template.
        try (GgufFile f = GgufFile.open(TestModels.storiesSized())) {
            ChatTemplate t = ChatTemplate.fromGguf(f.metadata(), Tokenizers.fromGguf(f.metadata()));
            assertTrue(t.isFallback());
            assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                    t.render(List.of(system("Be brief."), user("Hi")), true));
        }
    }

    @Test
    void syntaxErrorIsReported() {
        ChatTemplate t = ChatTemplate.of("{% for message in messages %}{{ message['content'] }", "", "");
        assertThrows(ChatTemplateException.class, () -> t.render(List.of(user("Hi")), true));
    }
}
