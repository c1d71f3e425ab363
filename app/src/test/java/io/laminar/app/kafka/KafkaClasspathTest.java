package io.laminar.app.kafka;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.FieldRefEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.net.JarURLConnection;
import java.net.URL;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka 4.3.1 is built against Jackson 2.21; the root pom keeps one Jackson (2.17) for everything.
 * This reads every Kafka class on the classpath and checks that each Jackson method and field it
 * references exists in the Jackson we run, so a missing one fails here and not in a broker thread.
 */
class KafkaClasspathTest {

    @Test
    void everyJacksonMemberKafkaReferencesExists() throws IOException {
        Set<String> jars = new TreeSet<>();
        for (String root : new String[] {"org/apache/kafka/", "kafka/"}) {
            for (URL url : Collections.list(getClass().getClassLoader().getResources(root))) {
                if (url.getProtocol().equals("jar")) {
                    jars.add(((JarURLConnection) url.openConnection()).getJarFileURL().getPath());
                }
            }
        }
        assertTrue(jars.size() >= 10, "Kafka's jars found: " + jars);

        Set<String> missing = new TreeSet<>();
        int references = 0;
        for (String jar : jars) {
            try (JarFile file = new JarFile(jar)) {
                for (var entry : Collections.list(file.entries())) {
                    String name = entry.getName();
                    if (!name.endsWith(".class") || name.endsWith("module-info.class")) {
                        continue;
                    }
                    ClassModel model = ClassFile.of().parse(file.getInputStream(entry).readAllBytes());
                    for (PoolEntry pool : model.constantPool()) {
                        if (pool instanceof MemberRefEntry ref
                                && ref.owner().asInternalName().startsWith("com/fasterxml/jackson/")) {
                            references++;
                            if (!exists(ref)) {
                                missing.add(ref.owner().asInternalName() + "." + ref.name() + ref.type() + " (from " + name + ")");
                            }
                        }
                    }
                }
            }
        }
        assertTrue(references > 1000, "Jackson references read: " + references);
        assertEquals(Set.of(), missing, "Jackson members Kafka uses but our Jackson lacks");
    }

    private static boolean exists(MemberRefEntry ref) {
        Class<?> owner;
        try {
            owner = Class.forName(ref.owner().asInternalName().replace('/', '.'), false,
                    KafkaClasspathTest.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
        String name = ref.name().stringValue();
        String type = ref.type().stringValue();
        Deque<Class<?>> todo = new ArrayDeque<>(Set.of(owner));
        while (!todo.isEmpty()) {
            Class<?> c = todo.poll();
            if (ref instanceof FieldRefEntry) {
                if (Arrays.stream(c.getDeclaredFields()).anyMatch(f -> f.getName().equals(name))) {
                    return true;
                }
            } else if (name.equals("<init>")) {
                return Arrays.stream(c.getDeclaredConstructors()).anyMatch(k -> descriptor(k, void.class).equals(type));
            } else {
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals(name) && descriptor(m, m.getReturnType()).equals(type)) {
                        return true;
                    }
                }
            }
            if (c.getSuperclass() != null) {
                todo.add(c.getSuperclass());
            }
            todo.addAll(Arrays.asList(c.getInterfaces()));
        }
        return false;
    }

    private static String descriptor(Executable e, Class<?> returns) {
        ClassDesc[] parameters = Arrays.stream(e.getParameterTypes()).map(p -> p.describeConstable().orElseThrow())
                .toArray(ClassDesc[]::new);
        return MethodTypeDesc.of(returns.describeConstable().orElseThrow(), parameters).descriptorString();
    }
}
