package io.laminar.model.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LayerRangeTest {
    @Test
    void uncoveredListsTheGapsInOrder() {
        assertEquals(java.util.List.of(), LayerRange.uncovered(5, java.util.List.of(new LayerRange(0, 3), new LayerRange(2, 5))));
        assertEquals(java.util.List.of(new LayerRange(0, 5)), LayerRange.uncovered(5, java.util.List.of()));
        assertEquals(java.util.List.of(new LayerRange(0, 1), new LayerRange(3, 4), new LayerRange(6, 8)),
                LayerRange.uncovered(8, java.util.List.of(new LayerRange(1, 3), new LayerRange(4, 6))));
        assertEquals(java.util.List.of(new LayerRange(0, 1)), LayerRange.uncovered(3, java.util.List.of(new LayerRange(1, 9))));
    }

    @Test
    void parsesInclusiveRangesAsUsersWriteThem() {
        assertEquals(new LayerRange(0, 6), LayerRange.parseInclusive("0-5"));
        assertEquals(new LayerRange(3, 4), LayerRange.parseInclusive(" 3 - 3 "));
        assertEquals("6-11", new LayerRange(6, 12).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a-b", "3", "-1-2", "1-2-3", "", "1-"})
    void malformedRangesNameTheExpectedForm(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerRange.parseInclusive(text));
        assertEquals("layer range '" + text + "' is not of the form A-B (first and last layer, counted from 0, e.g. 0-5)",
                e.getMessage());
    }

    @Test
    void reversedRangeSaysWhichEndIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerRange.parseInclusive("5-2"));
        assertEquals("layer range '5-2': the first layer (5) comes after the last (2)", e.getMessage());
    }

    @Test
    void rangeBeyondTheModelIsReportedInTheUsersNotation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerRange.parseInclusive("0-99").checkWithin(5));
        assertEquals("layers 0-99 exceed the model's 5 layers (0-4)", e.getMessage());
    }

    @Test
    void splitCoversEveryLayerWithSizesWithinOne() {
        assertArrayEquals(new LayerRange[] {new LayerRange(0, 3), new LayerRange(3, 5), new LayerRange(5, 7)},
                LayerRange.split(7, 3));
        assertThrows(IllegalArgumentException.class, () -> LayerRange.split(2, 3));
    }
}
