module.exports = require('@repo/jest-config');
