package io.laminar.bench;

import akka.actor.ExtendedActorSystem;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.cluster.typed.JoinSeedNodes;
import com.typesafe.config.ConfigFactory;
import io.laminar.actors.serialization.PipelineSerializer;
import io.laminar.actors.serialization.ActivationFormat;
import io.laminar.actors.stage.StageActor;
import io.laminar.actors.stage.StepHeader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The cost of one hop of activations between two processes on loopback, with the real pipeline
 * message ({@link StageActor.RunStep}) and serializer: this process sends a step to a stage-like
 * actor in a second JVM, which passes it on to the next hop (back here), as a stage would. Half the
 * round trip is the per-hop latency; the serialized size gives the bytes per token per hop.
 *
 * <p>Usage: {@code HopBench [dim=768] [wire=f32]}; the second JVM is started and stopped by it.
 */
public final class HopBench {
    static final ServiceKey<StageActor.Command> ECHO = ServiceKey.create(StageActor.Command.class, "hop-echo");

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("echo")) {
            echo(args[1], args[2]);
            return;
        }
        int dim = args.length > 0 ? Integer.parseInt(args[0]) : 768;
        String wire = args.length > 1 ? args[1] : "f32";
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "laminar", config(0, wire));
        Cluster.get(system).manager().tell(Join.create(Cluster.get(system).selfMember().address()));
        int port = system.address().getPort().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), HopBench.class.getName(), "echo", "" + port, wire));
        Process echo = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            LinkedBlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
            ActorRef<StageActor.Command> sink = system.systemActorOf(Behaviors.receive(StageActor.Command.class)
                    .onMessage(StageActor.RunStep.class, m -> {
                        arrivals.add(System.nanoTime());
                        return Behaviors.same();
                    }).build(), "sink", Props.empty());
            ActorRef<StageActor.Command> remote = find(system);
            PipelineSerializer serializer = new PipelineSerializer((ExtendedActorSystem) Adapter.toClassic(system),
                    ActivationFormat.parse(wire));
            System.out.printf(Locale.ROOT, "activation hop between two JVMs on loopback, dim %d, wire %s%n", dim, wire);
            System.out.println("| tokens per step | bytes per message | bytes per token per hop | hop latency p50 | p99 |");
            System.out.println("|---:|---:|---:|---:|---:|");
            for (int warm = 0; warm < 2000; warm++) {
                remote.tell(step(1 + warm % 128, dim, List.of(remote, sink), system));
                arrivals.poll(10, TimeUnit.SECONDS);
            }
            for (int tokens : new int[] {1, 8, 32, 128}) {
                StageActor.RunStep step = step(tokens, dim, List.of(remote, sink), system);
                int bytes = serializer.toBinary(step).length;
                double[] lat = new double[300];
                for (int i = -100; i < lat.length; i++) {
                    long t0 = System.nanoTime();
                    remote.tell(step);
                    long t1 = arrivals.poll(10, TimeUnit.SECONDS);
                    if (i >= 0) {
                        lat[i] = (t1 - t0) / 2e3;
                    }
                }
                Arrays.sort(lat);
                System.out.printf(Locale.ROOT, "| %d | %d | %.0f | %.0f µs | %.0f µs |%n", tokens, bytes,
                        (double) bytes / tokens, lat[lat.length / 2], lat[(int) (lat.length * 0.99)]);
            }
        } finally {
            echo.destroy();
            echo.waitFor(10, TimeUnit.SECONDS);
            system.terminate();
        }
    }

    static StageActor.RunStep step(int tokens, int dim, List<ActorRef<StageActor.Command>> route, ActorSystem<?> sys) {
        int[] ids = new int[tokens];
        int[] slots = new int[tokens];
        int[] pos = new int[tokens];
        boolean[] logits = new boolean[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = 100 + i;
            pos[i] = i;
        }
        logits[tokens - 1] = true;
        float[] hidden = new float[tokens * dim];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) Math.sin(i);
        }
        // The reply address is unused: the echo passes the step on along the route.
        return new StageActor.RunStep(new StepHeader(1, 0, ids, slots, pos, logits, null), hidden, route, 0,
                sys.ignoreRef());
    }

    private static ActorRef<StageActor.Command> find(ActorSystem<Void> system) throws Exception {
        CompletableFuture<ActorRef<StageActor.Command>> found = new CompletableFuture<>();
        system.systemActorOf(Behaviors.<Receptionist.Listing>setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.subscribe(ECHO, ctx.getSelf()));
            return Behaviors.receiveMessage(l -> {
                l.getServiceInstances(ECHO).stream().findFirst().ifPresent(found::complete);
                return Behaviors.same();
            });
        }), "finder", Props.empty());
        return found.get(60, TimeUnit.SECONDS);
    }

    /** The second JVM: a stage-like actor that passes every step on to the next hop of its route. */
    private static void echo(String seedPort, String wire) throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "laminar", config(0, wire));
        Cluster.get(system).manager().tell(new JoinSeedNodes(List.of(
                new akka.actor.Address("akka", "laminar", "127.0.0.1", Integer.parseInt(seedPort)))));
        Behavior<StageActor.Command> echo = Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(ECHO, ctx.getSelf()));
            return Behaviors.receive(StageActor.Command.class).onMessage(StageActor.RunStep.class, m -> {
                m.route().get(m.hop() + 1).tell(new StageActor.RunStep(m.header(), m.hidden(), m.route(), m.hop() + 1,
                        m.replyTo()));
                return Behaviors.same();
            }).build();
        });
        system.systemActorOf(echo, "echo", Props.empty());
        system.getWhenTerminated().toCompletableFuture().get();
    }

    private static com.typesafe.config.Config config(int port, String wire) {
        return ConfigFactory.parseMap(Map.of("akka.remote.artery.canonical.port", port,
                        "laminar.pipeline.wire-format", wire, "akka.loglevel", "WARNING"))
                .withFallback(ConfigFactory.parseResources(HopBench.class.getClassLoader(), "laminar.conf"))
                .withFallback(ConfigFactory.load());
    }
}
