-- Reserved during development; replaced by its real content before release.
select 1;
