/**
 * Chat templates: {@link io.laminar.model.chat.ChatTemplate} renders a model's
 * {@code tokenizer.chat_template} (Jinja, from Hugging Face's tokenizer_config.json) with Jinjava,
 * configured to match Hugging Face's Jinja2 environment (trim_blocks, lstrip_blocks, {@code {{- -}}}
 * trimming, {@code raise_exception}, {@code strftime_now}, Python's {@code tojson} and {@code str}
 * methods). Models without a template get ChatML, as llama.cpp gives them.
 *
 * <p>Known difference from Jinja2: a boolean printed directly renders as {@code true}/{@code false},
 * not {@code True}/{@code False}; templates use booleans in conditions, where this does not matter.
 */
package io.laminar.model.chat;
