/* cmd_catalog.c: the plan's indicators, the region tree and the changes
 * of the map.
 *
 * The indicators table shows baselines and targets as the plan writes
 * them (4355 万人, 〔500〕 for a five-year cumulative target) under
 * headers named after the plan's baseline and target years; CSV and JSON
 * give the same figures in raw units (43550000 persons, 0.055 for 5.5%)
 * next to the display unit and its scale.
 *
 * A map that changes: each region's validity (regions.csv valid_from,
 * valid_to) is a "valid" column ("..2021-03", "2021-04..", empty for
 * always), valid_from and valid_to in CSV and JSON (empty, null for
 * open). `regions --changes` lists region-changes.csv instead: one row
 * per change of a region (below --under), in the file's order, the CSV
 * with the file's columns.
 *
 * INVARIANTS
 *   1. One row per indicator, region or change, in catalog order.
 *   2. No year of the plan is written here: headers come from
 *      catalog_plan().
 */
#include "admin/cmd_catalog.h"

#include <stdio.h>
#include <stdlib.h>

#include "admin/mapchg.h"
#include "common/mem.h"
#include "common/period.h"

enum { I_NO, I_CODE, I_NAME, I_NAME_EN, I_UNIT, I_SCALE, I_KIND, I_OVER,
       I_BASE, I_TARGET, I_BASIS, I_FROM, I_TO, I_DIR_SHOWN, I_DIR,
       I_PART_OF, I_NCOLS };

static const render_col_t indicator_cols[I_NCOLS] = {
    [I_NO] = {.type = CELL_ID, .head = "no", .json = "no"},
    [I_CODE] = {.type = CELL_TEXT, .head = "code", .json = "code"},
    [I_NAME] = {.type = CELL_TEXT, .head = "指标", .json = "name_zh",
                .flags = RENDER_WRAP},
    [I_NAME_EN] = {.type = CELL_TEXT, .json = "name_en"},
    [I_UNIT] = {.type = CELL_TEXT, .head = "单位", .json = "unit"},
    [I_SCALE] = {.type = CELL_REAL, .json = "unit_scale"},
    [I_KIND] = {.type = CELL_TEXT, .head = "kind", .json = "kind",
                .drop = 2},
    [I_OVER] = {.type = CELL_TEXT, .head = "over time", .json = "over_time",
                .drop = 1},
    [I_BASE] = {.type = CELL_PLAN, .json = "baseline"},  /* head: year */
    [I_TARGET] = {.type = CELL_PLAN, .json = "target"},  /* head: year */
    [I_BASIS] = {.type = CELL_TEXT, .head = "basis", .json = "basis",
                 .drop = 4},
    [I_FROM] = {.type = CELL_INT, .json = "basis_from"},
    [I_TO] = {.type = CELL_INT, .json = "basis_to"},
    [I_DIR_SHOWN] = {.type = CELL_TEXT, .head = "direction", .drop = 3},
    [I_DIR] = {.type = CELL_TEXT, .json = "direction"},
    [I_PART_OF] = {.type = CELL_TEXT, .json = "part_of"},
};

int cmd_catalog_indicators(ctl_t *x, const ctl_args_t *a)
{
    (void)a;
    const catalog_plan_t *plan = catalog_plan(x->cat);
    char base_head[32];
    char target_head[32];
    snprintf(base_head, sizeof base_head, "%d", plan->baseline_year);
    snprintf(target_head, sizeof target_head, "%d 目标", plan->target_year);
    render_col_t cols[I_NCOLS];
    for (size_t c = 0; c < I_NCOLS; c++) {
        cols[c] = indicator_cols[c];
    }
    cols[I_BASE].head = base_head;
    cols[I_TARGET].head = target_head;
    render_t *r = ctl_render_new(x, cols, I_NCOLS);
    for (size_t i = 0; i < catalog_indicator_count(x->cat); i++) {
        const indicator_t *ind = catalog_indicator(x->cat, i);
        cell_t row[I_NCOLS];
        row[I_NO] = cell_id((uint64_t)ind->no);
        row[I_CODE] = cell_text(ind->code);
        row[I_NAME] = cell_text(ind->name_zh);
        row[I_NAME_EN] = cell_text(ind->name_en);
        row[I_UNIT] = cell_text(ind->unit_zh);
        row[I_SCALE] = cell_real(ind->unit_scale);
        row[I_KIND] = cell_text(ctl_kind_word(ind));
        row[I_OVER] = cell_text(ctl_over_time_word(ind));
        row[I_BASE] = ind->has_baseline
                          ? cell_plan(ind, ind->baseline, -1, 0)
                          : cell_none("");
        row[I_TARGET] = cell_plan(ind, ind->target, -1,
                                  ind->basis == BASIS_CUMULATIVE);
        row[I_BASIS] = cell_text(ctl_basis_word(ind));
        row[I_FROM] = cell_int(ind->basis_from);
        row[I_TO] = cell_int(ind->basis_to);
        row[I_DIR_SHOWN] = cell_text(ind->direction == DIR_AT_MOST
                                         ? "at most"
                                         : "at least");
        row[I_DIR] = cell_text(ctl_direction_word(ind));
        row[I_PART_OF] =
            ind->part_of >= 0
                ? cell_text(catalog_indicator(x->cat,
                                              (size_t)ind->part_of)->code)
                : cell_none("");
        render_add_row(r, row);
    }
    ctl_print(x, r);
    render_destroy(&r);
    return 0;
}

enum { R_CODE, R_NAME, R_NAME_EN, R_LEVEL, R_PARENT, R_EXPECTED, R_VALID,
       R_FROM, R_TO, R_NCOLS };

static const render_col_t region_cols[R_NCOLS] = {
    [R_CODE] = {.type = CELL_TEXT, .head = "code", .json = "code"},
    [R_NAME] = {.type = CELL_TEXT, .head = "名称", .json = "name_zh"},
    [R_NAME_EN] = {.type = CELL_TEXT, .head = "name", .json = "name_en",
                   .flags = RENDER_WRAP},
    [R_LEVEL] = {.type = CELL_TEXT, .head = "level", .json = "level"},
    [R_PARENT] = {.type = CELL_TEXT, .head = "parent", .json = "parent"},
    [R_EXPECTED] = {.type = CELL_INT, .json = "expected_regions"},
    [R_VALID] = {.type = CELL_TEXT, .head = "valid",
                 .flags = RENDER_NO_CSV},
    [R_FROM] = {.type = CELL_TEXT, .csv = "valid_from", .json = "valid_from",
                .flags = RENDER_NO_TABLE},
    [R_TO] = {.type = CELL_TEXT, .csv = "valid_to", .json = "valid_to",
              .flags = RENDER_NO_TABLE},
};

enum { C_MONTH, C_CHANGE, C_CODE, C_NAME, C_SUCC, C_NOTE, C_NCOLS };

static const render_col_t change_cols[C_NCOLS] = {
    [C_MONTH] = {.type = CELL_TEXT, .head = "month",
                 .csv = "effective_month", .json = "month"},
    [C_CHANGE] = {.type = CELL_TEXT, .head = "change", .json = "change"},
    [C_CODE] = {.type = CELL_TEXT, .head = "code", .json = "region"},
    [C_NAME] = {.type = CELL_TEXT, .head = "名称", .csv = "name_zh",
                .json = "name_zh"},
    [C_SUCC] = {.type = CELL_LIST, .head = "to", .csv = "successors",
                .json = "successors", .flags = RENDER_WRAP},
    [C_NOTE] = {.type = CELL_TEXT, .head = "note", .json = "note",
                .flags = RENDER_WRAP},
};

/* `regions --changes`: the changes of regions at or below @p under (-1:
 * all). */
static int list_changes(ctl_t *x, int under)
{
    render_t *r = ctl_render_new(x, change_cols, C_NCOLS);
    for (size_t i = 0; i < catalog_change_count(x->cat); i++) {
        const region_change_t *c = catalog_change(x->cat, i);
        if (under >= 0 && !catalog_region_within(x->cat, c->region, under)) {
            continue;
        }
        const region_t *reg = catalog_region(x->cat, (size_t)c->region);
        char month[16];
        mapchg_yyyymm(month_to_yyyymm(c->month), month, sizeof month);
        const char **codes = xcalloc(c->n_successors + 1, sizeof *codes);
        size_t len = 32 * c->n_successors + 1;
        char *shown = xcalloc(len, 1);
        size_t n = 0;
        for (size_t k = 0; k < c->n_successors; k++) {
            const region_t *s = catalog_region(x->cat,
                                               (size_t)c->successors[k]);
            codes[k] = s->code_str;
            int w = snprintf(shown + n, len - n, "%s%s %s", k ? ", " : "",
                             s->code_str, s->name_zh);
            n += w > 0 && (size_t)w < len - n ? (size_t)w : 0;
        }
        cell_t row[C_NCOLS];
        row[C_MONTH] = cell_text(month);
        row[C_CHANGE] = cell_text(catalog_change_kind_name(c->kind));
        row[C_CODE] = cell_text(reg->code_str);
        row[C_NAME] = cell_text(reg->name_zh);
        row[C_SUCC] = cell_list(codes, c->n_successors, shown);
        row[C_NOTE] = cell_text(c->note);
        render_add_row(r, row);
        free(shown);
        free(codes);
    }
    render_empty(r, "no change of the map");
    ctl_print(x, r);
    render_destroy(&r);
    return 0;
}

int cmd_catalog_regions(ctl_t *x, const ctl_args_t *a)
{
    int under = -1;
    if (a->under != NULL) {
        uint32_t code;
        int st = ctl_region_arg(x, a->under, &code);
        if (st != 0) {
            return st;
        }
        under = catalog_region_find(x->cat, code);
    }
    if (a->changes != NULL) {
        return list_changes(x, under);
    }
    render_t *r = ctl_render_new(x, region_cols, R_NCOLS);
    for (size_t i = 0; i < catalog_region_count(x->cat); i++) {
        const region_t *reg = catalog_region(x->cat, i);
        if (under >= 0 && !catalog_region_within(x->cat, (int)i, under)) {
            continue;
        }
        cell_t row[R_NCOLS];
        row[R_CODE] = cell_text(reg->code_str);
        row[R_NAME] = cell_text(reg->name_zh);
        row[R_NAME_EN] = cell_text(reg->name_en);
        row[R_LEVEL] = cell_text(reg->level);
        row[R_PARENT] =
            reg->parent >= 0
                ? cell_text(catalog_region(x->cat,
                                           (size_t)reg->parent)->code_str)
                : cell_none("");
        row[R_EXPECTED] = cell_int((int64_t)reg->subtree_size);
        char valid[MAPCHG_LEN];
        char from[16] = "";
        char to[16] = "";
        mapchg_validity(reg, valid, sizeof valid);
        if (reg->valid_from != CATALOG_OPEN_FROM) {
            mapchg_yyyymm(month_to_yyyymm(reg->valid_from), from,
                          sizeof from);
        }
        if (reg->valid_to != CATALOG_OPEN_TO) {
            mapchg_yyyymm(month_to_yyyymm(reg->valid_to), to, sizeof to);
        }
        row[R_VALID] = cell_text(valid);
        row[R_FROM] = reg->valid_from != CATALOG_OPEN_FROM ? cell_text(from)
                                                           : cell_none("");
        row[R_TO] = reg->valid_to != CATALOG_OPEN_TO ? cell_text(to)
                                                     : cell_none("");
        render_add_row(r, row);
    }
    ctl_print(x, r);
    render_destroy(&r);
    return 0;
}
