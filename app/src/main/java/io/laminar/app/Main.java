package io.laminar.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code laminar} command line. */
@Command(name = "laminar",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Streaming LLM inference on the JVM.",
        subcommands = {DemoCommand.class, GenerateCommand.class, BenchCommand.class, SynthCommand.class, ServeCommand.class, HttpCommand.class, PromptCommand.class, BrokerCommand.class, NodeCommand.class, ClusterCommand.class, StatusCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (Throwable t) {
            // An Error escaping picocli (a missing class, out of memory) must still end the process,
            // whose non-daemon threads (a Kafka broker, actors) would otherwise keep it alive.
            t.printStackTrace();
            code = 70;
        }
        System.exit(code);
    }

    /** The configured command line, also used by tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(new ErrorReporter())
                .setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"laminar " + (v != null ? v : "dev") + " (Java " + Runtime.version() + ")"};
        }
    }

    /** Reports failures as one clear line (the stack trace only with LAMINAR_DEBUG set). */
    static final class ErrorReporter implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
            if (System.getenv("LAMINAR_DEBUG") != null) {
                e.printStackTrace();
            }
            String message = e.getMessage() != null ? e.getMessage() : e.toString();
            if (e instanceof java.nio.file.NoSuchFileException) {
                message = "no such file: " + e.getMessage();
            }
            cmd.getErr().println("laminar " + cmd.getCommandName() + ": " + message);
            return 1;
        }
    }
}
