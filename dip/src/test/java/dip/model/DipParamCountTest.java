package dip.model;

import dip.layers.Param;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The paper's sizes, built from the same classes as the small models as shapes-only models (Dip.shapes: no buffers,
 * parameters allocated lazily, so counting XL costs little memory and time; DipBuffersTest checks that). Numbers
 * cross-checked by scripts/reference/count_params.py.
 */
class DipParamCountTest {

    static Dip build(DipConfig cfg) {
        return Dip.shapes(cfg);
    }

    @Test void dipXl16HasExactly631989411Parameters() {
        Dip m = build(Preset.XL16.config());
        assertEquals(631_989_411L, m.params().count());
        assertEquals(347, m.params().size(), "tensors (7 embedder + 26·12 block + 28 head)");
        long head = m.params().all().stream().filter(p -> p.name().startsWith("local_decoder.")).mapToLong(Param::size).sum();
        assertEquals(6_968_067L, head, "Patch Detailer Head");
    }

    @Test void ditOnlyXl16Has628563360Parameters() {
        Dip m = build(Preset.XL16.config().withHead(HeadType.DIT_ONLY));
        assertEquals(628_563_360L, m.params().count());
    }

    @Test void dipL16Has425424387Parameters() {
        assertEquals(425_424_387L, build(Preset.L16.config()).params().count());
    }

    @Test void officialNamesInStateDictOrder() {
        var names = build(Preset.TINY.config()).params().all().stream().map(Param::name).toList();
        assertEquals("s_embedder.proj.weight", names.get(0));
        assertEquals("t_embedder.mlp.0.weight", names.get(2));
        assertEquals("y_embedder.embedding_table.weight", names.get(6));
        assertEquals("blocks.0.norm1.weight", names.get(7));
        assertTrue(names.contains("local_decoder.bottleneck.0.weight"));
        assertEquals("local_decoder.out_conv.bias", names.get(names.size() - 1));
    }
}
