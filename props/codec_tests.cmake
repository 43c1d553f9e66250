# The binary case codec and case-record JSON: round trips, rejection of corrupt and
# truncated bytes, limits, and the golden files of every format version (corpus/format).
flashcheck_add_test(test_case_codec
  SOURCES test_case_codec.cpp
  LIBS flashcheck_core
  LABELS core codec)
target_compile_definitions(test_case_codec PRIVATE
  FLASHCHECK_FORMAT_DIR="${PROJECT_SOURCE_DIR}/corpus/format")

# `flashcheck show` and `flashcheck pack` (exit 2 names the file and the reason).
set(codec_fixtures ${CMAKE_CURRENT_SOURCE_DIR}/codec_fixtures)
set(codec_golden ${PROJECT_SOURCE_DIR}/corpus/format)
set(codec_packed ${CMAKE_CURRENT_BINARY_DIR}/codec_packed.fcase)
cli_expect(cli_show_golden_recipe 0 OUTPUT "\"format\": \"flashcheck-case-record\".*\"v_nan_scale\": true"
  ARGS show ${codec_golden}/v1-recipe.fcase)
cli_expect(cli_show_golden_raw 0 OUTPUT "\"case\": {.*\"rotated_q\"" ARGS show ${codec_golden}/v1-raw.fcase)
cli_expect(cli_show_flipped_byte 2 OUTPUT "v1-recipe-flipped.fcase: offset 314 \\(checksum\\)"
  ARGS show ${codec_fixtures}/v1-recipe-flipped.fcase)
cli_expect(cli_show_truncated 2 OUTPUT "v1-recipe-truncated.fcase: offset 196 \\(checksum\\)"
  ARGS show ${codec_fixtures}/v1-recipe-truncated.fcase)
cli_expect(cli_show_missing_file 2 OUTPUT "cannot read case file" ARGS show ${codec_fixtures}/no-such-file.fcase)
cli_expect(cli_pack_unknown_field 2 OUTPUT "recipe.softcapp': unknown field"
  ARGS pack ${codec_fixtures}/record-unknown-field.json -o ${CMAKE_CURRENT_BINARY_DIR}/never-written.fcase)
cli_expect(cli_pack_not_a_case 2 OUTPUT "not JSON"
  ARGS pack ${codec_fixtures}/not-a-case.txt -o ${CMAKE_CURRENT_BINARY_DIR}/never-written.fcase)
# pack(JSON twin of the golden recipe) reproduces the golden bytes exactly.
cli_expect(cli_pack_golden_recipe 0 OUTPUT "packed .* \\(recipe\\) into .* \\(357 bytes\\)"
  ARGS pack ${codec_fixtures}/v1-recipe.json -o ${codec_packed})
set_tests_properties(cli_pack_golden_recipe PROPERTIES FIXTURES_SETUP codec_packed)
add_test(NAME cli_pack_reproduces_golden_bytes
  COMMAND ${CMAKE_COMMAND} -E compare_files ${codec_packed} ${codec_golden}/v1-recipe.fcase)
set_tests_properties(cli_pack_reproduces_golden_bytes PROPERTIES LABELS "cli;codec" FIXTURES_REQUIRED codec_packed)
