package io.laminar.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** docs/cli.md is the `--help` of every command; this keeps it from going stale. */
class CliDocsTest {
    static String generate() {
        CommandLine top = Main.commandLine();
        StringBuilder md = new StringBuilder("# Command line\n\n")
                .append("Generated from the commands' own `--help` (CliDocsTest checks it). Every command has\n")
                .append("`--help`; defaults are shown after each option.\n\n");
        md.append("```\n").append(top.getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        for (var e : top.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            md.append("\n## laminar ").append(e.getKey()).append("\n\n```\n")
                    .append(e.getValue().getUsageMessage(CommandLine.Help.Ansi.OFF)).append("```\n");
        }
        return md.toString();
    }

    @Test
    void cliDocsMatchTheCommands() throws Exception {
        String expected = generate();
        Path docs = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "docs", "cli.md");
        if (!Files.exists(docs)) {
            docs = Path.of("../docs/cli.md");
        }
        Path fresh = Path.of("target", "cli.md");
        Files.createDirectories(fresh.getParent());
        Files.writeString(fresh, expected);
        String actual = Files.exists(docs) ? Files.readString(docs) : "";
        assertEquals(expected, actual, "docs/cli.md is stale: copy app/target/cli.md over it");
    }
}
