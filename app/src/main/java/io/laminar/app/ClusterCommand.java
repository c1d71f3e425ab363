package io.laminar.app;

import io.laminar.actors.HostSettings;
import io.laminar.actors.PipelineClient;
import io.laminar.actors.PipelineHost;
import io.laminar.actors.SequenceListener;
import io.laminar.actors.scheduler.SequenceEvent;
import io.laminar.model.arch.ModelConfig;
import io.laminar.model.exec.LayerRange;
import io.laminar.model.gguf.GgufFile;
import io.laminar.model.sampling.SamplingParams;
import io.laminar.model.tokenizer.StreamingDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * {@code laminar cluster}: N member processes on 127.0.0.1 (one scheduler, the rest stages splitting
 * the layers), to try a multi-node pipeline on one machine. This process joins as a client, reports
 * when the pipeline is ready, runs the given prompts, and stops every member on exit or Ctrl-C.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Starts N member processes on 127.0.0.1: one scheduler and N-1 stages splitting the layers. Waits until the pipeline is ready, generates for each --prompt, then keeps running until Ctrl-C (or exits at once with --exit). Every member is stopped when this command ends.")
public final class ClusterCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
            description = "A GGUF file, or hf:ORG/REPO/FILE.gguf.")
    String modelRef;

    @Option(names = "--nodes", defaultValue = "3", description = "Member processes: 1 scheduler + N-1 stages (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt(s) to generate for, concurrently, once ready.")
    List<String> prompts = new ArrayList<>();

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "64", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = {"-t", "--threads"}, defaultValue = "1", description = "Kernel threads per member (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--exit", description = "Stop the members after the prompts instead of waiting for Ctrl-C.")
    boolean exit;

    @Override
    public Integer call() throws Exception {
        Path model = new io.laminar.app.models.ModelResolver().resolve(modelRef);
        if (nodes < 2) {
            throw new IllegalArgumentException("--nodes must be at least 2 (a scheduler and a stage)");
        }
        int layers;
        try (GgufFile f = GgufFile.open(model)) {
            layers = ModelConfig.fromGguf(f).layers();
        }
        LayerRange[] ranges = LayerRange.split(layers, Math.min(nodes - 1, layers));
        HostSettings clientSettings = HostSettings.local(model, List.of(), 1).asClient();
        List<Process> members = new ArrayList<>();
        MemberLauncher launcher = MemberLauncher.sameClasspath(MemberLauncher.defaultLog());
        try (PipelineHost client = PipelineHost.start(clientSettings)) {
            String seed = "127.0.0.1:" + client.port();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> MemberLauncher.stopAll(members)));
            List<String> common = List.of("-m", model.toString(), "--seed-nodes", seed, "--threads", String.valueOf(threads));
            members.add(launcher.startNode(concat(List.of("--role", "scheduler"), common)));
            for (LayerRange r : ranges) {
                members.add(launcher.startNode(concat(List.of("--role", "stage", "--layers", r.toString()), common)));
            }
            System.out.printf("laminar cluster: started %d members (scheduler + stages %s), seed %s%n",
                    members.size(), java.util.Arrays.toString(ranges), seed);
            PipelineClient pipeline = PipelineClient.find(client.system(), clientSettings.modelId(), Duration.ofSeconds(60))
                    .toCompletableFuture().get();
            System.out.println("laminar cluster: pipeline ready: " + pipeline.awaitReady(Duration.ofSeconds(120)).detail());
            List<CompletableFuture<String>> results = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                results.add(run(client, pipeline, "prompt-" + i, prompts.get(i)));
            }
            for (int i = 0; i < results.size(); i++) {
                System.out.printf("[%d] %s%s%n", i, prompts.get(i), results.get(i).get());
            }
            if (!exit) {
                System.out.println("laminar cluster: running; Ctrl-C stops every member.");
                client.system().getWhenTerminated().toCompletableFuture().join();
            }
        } finally {
            MemberLauncher.stopAll(members);
        }
        return 0;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private CompletableFuture<String> run(PipelineHost client, PipelineClient pipeline, String id, String prompt) {
        CompletableFuture<String> done = new CompletableFuture<>();
        StreamingDecoder decoder = StreamingDecoder.continuing(client.tokenizer());
        StringBuilder text = new StringBuilder();
        int[] ids = client.tokenizer().encode(prompt, true, false);
        pipeline.submit(id, ids, maxTokens, SamplingParams.greedy(), new SequenceListener() {
            @Override
            public void onToken(int index, int tokenId) {
                text.append(decoder.accept(tokenId));
            }

            @Override
            public void onFinished(SequenceEvent.Finished finished) {
                done.complete(text.append(decoder.flush()).toString());
            }

            @Override
            public void onFailed(SequenceEvent.Failed failed) {
                done.complete(text + " [failed: " + failed.kind() + ": " + failed.message() + "]");
            }
        });
        return done;
    }

}
