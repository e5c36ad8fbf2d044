package io.pgflash.core.internal.value;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgflash.core.Row;
import io.pgflash.core.TableName;
import io.pgflash.core.UnchangedValueException;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.PgType;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.RowDecoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Spliterator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A decoded row keeps its values in an array by the columns' places, and reads as the map it stands for. */
class RowValuesTest {

    private static final PgType INTEGER = new PgType(23, 23, null, ',', "integer");
    private static final PgType TEXT = new PgType(25, 25, null, ',', "text");
    private static final TableMetadata POSTS = new TableMetadata(1, TableName.of("public", "posts"), List.of(
            new Column("id", INTEGER), new Column("title", TEXT), new Column("body", TEXT),
            new Column("note", TEXT)), List.of("id"), 'd');

    @Test
    void aDecodedRowReadsAsAMapInTableOrderWithoutItsUnchangedColumns() {
        Row row = RowDecoder.decode(POSTS, Arrays.asList("7", "hello", RowDecoder.UNCHANGED, null), true);

        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("id", 7);
        expected.put("title", "hello");
        expected.put("note", null);
        assertThat(row.asMap()).isEqualTo(expected).containsExactlyEntriesOf(expected);
        assertThat(row.asMap().hashCode()).isEqualTo(expected.hashCode());
        assertThat(row).isEqualTo(new Row(expected, java.util.Set.of("body")));
        assertThat(row.columns()).containsExactly("id", "title", "note");
        assertThat(row.get("note")).isNull();
        assertThat(row.contains("body")).isFalse();
        assertThat(row.isUnchanged("body")).isTrue();
        assertThatThrownBy(() -> row.get("body")).isInstanceOf(UnchangedValueException.class);
        assertThatThrownBy(() -> row.get("nope")).hasMessageContaining("Row has no column 'nope'")
                .hasMessageContaining("[id, title, note]");
        assertThat(row.asMap().getOrDefault("body", "none")).isEqualTo("none");
        assertThat(row.asMap().getOrDefault("note", "none")).isNull();
        assertThat(row.only(List.of("id", "body", "note")).asMap()).containsOnlyKeys("id", "note");
    }

    /** As a LinkedHashMap's, a row's views keep the table's order in streams too, parallel ones included. */
    @Test
    void aDecodedRowsViewsAreOrderedForStreams() {
        List<Column> many = IntStream.range(0, 200).mapToObj(i -> new Column("c" + i, INTEGER)).toList();
        TableMetadata wide = new TableMetadata(2, TableName.of("public", "wide"), many, List.of("c0"), 'd');
        Row row = RowDecoder.decode(wide, IntStream.range(0, 200).mapToObj(String::valueOf).toList(), true);

        assertThat(row.columns().spliterator().hasCharacteristics(Spliterator.ORDERED)).isTrue();
        assertThat(row.asMap().values().spliterator().hasCharacteristics(Spliterator.ORDERED)).isTrue();
        assertThat(row.asMap().entrySet().spliterator().hasCharacteristics(Spliterator.ORDERED)).isTrue();
        assertThat(row.columns().parallelStream().skip(100).findFirst()).contains("c100");
        assertThat(row.asMap().values().parallelStream().limit(3).toList()).containsExactly(0, 1, 2);
        assertThat(row.asMap().values()).hasSize(200).contains(199);
        assertThat(row.asMap().containsValue(199)).isTrue();
        assertThat(row.columns().contains("c199")).isTrue();
        assertThat(row.columns().contains("c200")).isFalse();
    }

    @Test
    void aRowsValuesEqualALinkedHashMapFromEitherSide() {
        Row row = RowDecoder.decode(POSTS, Arrays.asList("7", null, RowDecoder.UNCHANGED, "x"), true);
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("id", 7);
        expected.put("title", null);
        expected.put("note", "x");

        assertThat(expected.equals(row.asMap())).isTrue();
        assertThat(row.asMap().toString()).isEqualTo(expected.toString());
        assertThat(row.asMap().containsValue(null)).isTrue();
        Row none = RowDecoder.decode(new TableMetadata(3, TableName.of("public", "none"), List.of(), List.of(), 'd'),
                List.of(), true);
        assertThat(none.asMap()).isEqualTo(Map.of()).hasSameHashCodeAs(Map.of());
    }

    @Test
    void aRowsValuesDoNotChangeOnceItHasThem() {
        RowValues values = new RowValues(ColumnList.copyOf(POSTS.columns()));
        values.set(0, 1);
        Row row = new Row(values);

        assertThatThrownBy(() -> values.set(1, "later")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.asMap().put("title", "x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.asMap().remove("nope")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.asMap().keySet().remove("nope"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.asMap().entrySet().iterator().next().setValue(2))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.asMap().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new Row(values)).isEqualTo(row); // a second row of the same values copies them
    }

    @Test
    void aDecodedRowsValuesSerializeAsTheMapTheyStandFor() throws Exception {
        Row row = RowDecoder.decode(POSTS, Arrays.asList("7", "hello", RowDecoder.UNCHANGED, null), true);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(row.asMap());
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> read = (Map<String, Object>) in.readObject();
            assertThat(read).containsExactlyEntriesOf(row.asMap());
        }
    }
}
