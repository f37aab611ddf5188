const path = require('path');
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}'], { encoding: false }).pipe(
		dest((file) => path.join('dist', path.relative(__dirname, file.base))),
	);
}

function copyTemplates() {
	return src('templates/*.json', { allowEmpty: true }).pipe(dest('dist/templates'));
}

exports.build = parallel(copyIcons, copyTemplates);
exports.default = exports.build;
