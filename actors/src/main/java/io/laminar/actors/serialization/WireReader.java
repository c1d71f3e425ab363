package io.laminar.actors.serialization;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads what {@link WireWriter} wrote, checking every length against the bytes left. */
final class WireReader {
    private final ActorRefResolver resolver;
    final ByteBuffer buffer;

    WireReader(ActorRefResolver resolver, byte[] bytes) {
        this.resolver = resolver;
        buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    int remaining() {
        return buffer.remaining();
    }

    int u8() {
        return buffer.get() & 0xff;
    }

    int i32() {
        return buffer.getInt();
    }

    long i64() {
        return buffer.getLong();
    }

    float f32() {
        return buffer.getFloat();
    }

    byte[] raw(int n) {
        byte[] b = new byte[n];
        buffer.get(b);
        return b;
    }

    int[] intsRaw(int n) {
        int[] a = new int[fourByteValues(n, "ints")];
        buffer.asIntBuffer().get(a);
        buffer.position(buffer.position() + n * 4);
        return a;
    }

    int[] ints() {
        return intsRaw(i32());
    }

    String string() {
        int n = i32();
        if (n < 0 || n > buffer.remaining()) {
            throw new IllegalArgumentException("string of " + n + " bytes in " + buffer.remaining());
        }
        return new String(raw(n), StandardCharsets.UTF_8);
    }

    <T> ActorRef<T> ref() {
        return resolver.resolveActorRef(string());
    }

    /** A reference written by {@link WireWriter#optionalRef}: null when absent. */
    <T> ActorRef<T> optionalRef() {
        String path = string();
        return path.isEmpty() ? null : resolver.resolveActorRef(path);
    }

    float[] floatsRaw(int n) {
        float[] a = new float[fourByteValues(n, "floats")];
        buffer.asFloatBuffer().get(a);
        buffer.position(buffer.position() + n * 4);
        return a;
    }

    /** {@code n}, checked to be a count of 4-byte values that fits in the bytes left; {@code what} names them. */
    private int fourByteValues(int n, String what) {
        if (n < 0 || (long) n * 4 > buffer.remaining()) {
            throw new IllegalArgumentException("array of " + n + " " + what + " in " + buffer.remaining() + " bytes");
        }
        return n;
    }

    <T> List<ActorRef<T>> refs() {
        int n = i32();
        if (n < 0 || n > buffer.remaining() / 4) {
            throw new IllegalArgumentException(n + " actor references in " + buffer.remaining() + " bytes");
        }
        List<ActorRef<T>> refs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            refs.add(ref());
        }
        return List.copyOf(refs);
    }
}
