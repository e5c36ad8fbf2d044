package io.pgflash.core.driver.trigger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgflash.core.driver.RowDecoder.TableShapeChangedException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowLayoutsTest {

    @Test
    void aRowOfTheTableAsItIsHasItsLiveColumns() {
        assertThat(RowLayouts.placesOf("LDL", null, 2)).containsExactly(0, 2);
        assertThat(RowLayouts.placesOf("LDL", "LDL", 2)).containsExactly(0, 2);
    }

    @Test
    void withoutAnEarlierLayoutOnlyWhatTheTableTellsDecides() {
        assertThat(RowLayouts.placesOf("LLL", null, 2)).as("written before the last column was added")
                .containsExactly(0, 1);
        assertThat(RowLayouts.placesOf("LDL", null, 3)).as("written before the drop").containsExactly(0, 1, 2);
        assertThatThrownBy(() -> RowLayouts.placesOf("LDLL", null, 2)).as("dropped before, or after with an add?")
                .isInstanceOf(TableShapeChangedException.class).hasMessageContaining("2 values");
    }

    @Test
    void columnsAddedSinceTheEarlierLayoutAreTheLastOnes() {
        assertThat(RowLayouts.placesOf("LDLL", "LDL", 2)).as("a column dropped long ago stays out")
                .containsExactly(0, 2);
        assertThat(RowLayouts.placesOf("LDLLL", "LDL", 3)).containsExactly(0, 2, 3);
        assertThat(RowLayouts.placesOf("LDLLL", "LDL", 4)).containsExactly(0, 2, 3, 4);
    }

    @Test
    void columnsDroppedSinceAreThereInRowsWrittenBeforeTheDrop() {
        assertThat(RowLayouts.placesOf("LDD", "LLL", 3)).containsExactly(0, 1, 2);
        assertThat(RowLayouts.placesOf("LDD", "LLL", 1)).containsExactly(0);
        assertThatThrownBy(() -> RowLayouts.placesOf("LDD", "LLL", 2)).as("which of the two drops came first?")
                .isInstanceOf(TableShapeChangedException.class);
    }

    @Test
    void aColumnDroppedAndAnotherAddedSinceLeaveRowsOfTheSameLengthAmbiguous() {
        assertThatThrownBy(() -> RowLayouts.placesOf("LDL", "LL", 2)).isInstanceOf(TableShapeChangedException.class);
        assertThat(RowLayouts.placesOf("LDL", "LL", 3)).as("written after the add, before the drop")
                .containsExactly(0, 1, 2);
        assertThatThrownBy(() -> RowLayouts.placesOf("LLD", "L", 1)).as("a column added and dropped since")
                .isInstanceOf(TableShapeChangedException.class);
    }

    @Test
    void aLayoutLongerThanTheTableIsAnotherTablesAndIgnored() {
        assertThat(RowLayouts.placesOf("LL", "LLL", 2)).containsExactly(0, 1);
    }

    @Test
    void layoutsAreWrittenFromTheDroppedFlags() {
        assertThat(RowLayouts.layout(List.of(false, true, false))).isEqualTo("LDL");
    }
}
